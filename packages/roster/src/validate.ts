/**
 * validateRegistration(): the one gate every backend and the server put a Registration through.
 * It checks types, charsets, lengths and ranges (see LIMITS), fills defaults, converts durations
 * to milliseconds, and throws an InvalidArgumentError naming the first bad field.
 */
import { isIP } from 'node:net';
import { toMilliseconds } from './duration.js';
import { InvalidArgumentError } from './errors.js';
import { LIMITS } from './limits.js';
import { type HealthStatus, isHealthStatus, type NormalizedCheck, type NormalizedRegistration } from './model.js';

const SERVICE_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const META_KEY = /^[A-Za-z0-9_-]+$/;
const ZONE = /^[A-Za-z0-9._-]*$/;
const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const CONTROL = /[\u0000-\u001f\u007f]/;
// A UTF-16 surrogate without its pair: not a character, cannot be percent-encoded into a URL.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const fail = (field: string, problem: string): never => {
  throw new InvalidArgumentError(field, problem);
};

const show = (v: unknown): string => {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return String(v);
};

/** Throws unless `name` is a valid service name; returns it. */
export function validateServiceName(name: unknown, field = 'service'): string {
  if (typeof name !== 'string') return fail(field, `must be a string, got ${show(name)}`);
  if (name.length === 0) return fail(field, 'must not be empty');
  if (name.length > LIMITS.serviceNameMax) return fail(field, `must be at most ${LIMITS.serviceNameMax} characters, got ${name.length}`);
  if (!SERVICE_NAME.test(name)) {
    return fail(
      field,
      `${show(name)} is not a valid service name (letters, digits, ".", "_", "-"; starting and ending with a letter or digit)`,
    );
  }
  return name;
}

/** Throws unless `id` is a valid instance or check id; returns it. */
export function validateId(id: unknown, field = 'id'): string {
  if (typeof id !== 'string') return fail(field, `must be a string, got ${show(id)}`);
  if (id.length === 0) return fail(field, 'must not be empty');
  if (id.length > LIMITS.idMax) return fail(field, `must be at most ${LIMITS.idMax} characters, got ${id.length}`);
  if (CONTROL.test(id)) return fail(field, 'must not contain control characters');
  if (LONE_SURROGATE.test(id)) return fail(field, 'must be well-formed Unicode (it has an unpaired surrogate, which no URL can carry)');
  if (id.trim() !== id) return fail(field, 'must not start or end with white space');
  return id;
}

/** An instance address: an IP address or a host name, never the unspecified address. Not part of the public API. */
export function validateAddress(address: unknown, field: string): string {
  if (typeof address !== 'string') return fail(field, `must be a string, got ${show(address)}`);
  if (address.length === 0) return fail(field, 'must not be empty');
  if (address.length > LIMITS.addressMax) return fail(field, `must be at most ${LIMITS.addressMax} characters`);
  if (address === '[::]' || isUnspecified(address)) {
    return fail(field, `${address} is the unspecified address (listen-on-all), not one a client can reach`);
  }
  if (isIP(address) === 0) {
    if (!HOST_NAME.test(address)) return fail(field, `${show(address)} is neither an IP address nor a host name`);
    if (/^[\d.]+$/.test(address)) return fail(field, `${show(address)} looks like an IPv4 address but is not one (four numbers 0–255)`);
  }
  return address;
}

/** 0.0.0.0, ::, and every other spelling of them (0::0, 0:0:0:0:0:0:0:0, ::ffff:0.0.0.0). */
function isUnspecified(address: string): boolean {
  const version = isIP(address);
  if (version === 4) return address === '0.0.0.0';
  if (version !== 6) return false;
  const canonical = new URL(`http://[${address.replace(/%.*$/, '')}]/`).hostname;
  return canonical === '[::]' || canonical === '[::ffff:0:0]';
}

/** A TCP port, 1–65535. Not part of the public API. */
export function validatePort(port: unknown, field: string): number {
  if (typeof port !== 'number' || !Number.isInteger(port)) return fail(field, `must be an integer, got ${show(port)}`);
  if (port < 1 || port > 65_535) return fail(field, `must be between 1 and 65535, got ${port}`);
  return port;
}

function intIn(value: unknown, field: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value)) return fail(field, `must be an integer, got ${show(value)}`);
  if (value < min || value > max) return fail(field, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

/** A duration field: milliseconds or a Go string, within [min, LIMITS.durationMaxMs]. */
function duration(value: unknown, field: string, minMs: number, allowZero = false): number {
  const parsed = toMilliseconds(value);
  if (!parsed.ok) return fail(field, parsed.error);
  const ms = parsed.ms;
  if (allowZero && ms === 0) return 0;
  if (ms < minMs) return fail(field, `must be at least ${minMs} ms, got ${ms} ms`);
  if (ms > LIMITS.durationMaxMs) return fail(field, `must be at most ${LIMITS.durationMaxMs} ms (about 24.8 days), got ${ms} ms`);
  return ms;
}

function stringList(value: unknown, field: string, maxItems: number, maxLength: number): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return fail(field, `must be an array of strings, got ${show(value)}`);
  if (value.length > maxItems) return fail(field, `must have at most ${maxItems} entries, got ${value.length}`);
  const out: string[] = [];
  for (let i = 0; i < value.length; i++) {
    // A hole ([, 'a']) is not a tag: map() would skip it and leave a hole JSON writes as null.
    if (!(i in value)) return fail(`${field}[${i}]`, 'must be a string, got a hole in the array');
    const v: unknown = value[i];
    if (typeof v !== 'string') return fail(`${field}[${i}]`, `must be a string, got ${show(v)}`);
    if (v.length === 0 || v.length > maxLength) return fail(`${field}[${i}]`, `must be 1 to ${maxLength} characters`);
    if (CONTROL.test(v)) return fail(`${field}[${i}]`, 'must not contain control characters');
    out.push(v);
  }
  return out;
}

/** An object literal (or `Object.create(null)`): a Map or a class instance has no entries to read. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function validateMeta(value: unknown, field: string, reserved: boolean): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value)) return fail(field, `must be an object of strings, got ${show(value)}`);
  const keys = Object.keys(value);
  if (keys.length > LIMITS.metaPairsMax) return fail(field, `must have at most ${LIMITS.metaPairsMax} keys, got ${keys.length}`);
  const out: Record<string, string> = {};
  for (const k of keys) {
    const v = value[k];
    if (k.length === 0 || k.length > LIMITS.metaKeyMax || !META_KEY.test(k)) {
      return fail(`${field}.${k}`, `key must be 1 to ${LIMITS.metaKeyMax} characters of letters, digits, "_" and "-"`);
    }
    if (k.startsWith('consul-')) return fail(`${field}.${k}`, 'keys starting with "consul-" are reserved');
    if (reserved && k === 'zone')
      return fail(`${field}.${k}`, 'is reserved: give the zone as the `zone` field (the Consul backend carries it as Meta.zone)');
    if (typeof v !== 'string') return fail(`${field}.${k}`, `value must be a string, got ${show(v)}`);
    if (v.length > LIMITS.metaValueMax) return fail(`${field}.${k}`, `value must be at most ${LIMITS.metaValueMax} characters`);
    // `__proto__` stays a key (an own data property), never the object's prototype.
    if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    else out[k] = v;
  }
  return out;
}

function validateHeaders(value: unknown, field: string): Record<string, readonly string[]> {
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value)) return fail(field, `must be an object, got ${show(value)}`);
  const entries = Object.entries(value);
  if (entries.length > LIMITS.headersMax) return fail(field, `must have at most ${LIMITS.headersMax} headers`);
  const out: [string, readonly string[]][] = [];
  for (const [name, raw] of entries) {
    if (!HTTP_TOKEN.test(name)) return fail(`${field}.${name}`, 'is not a valid header name');
    const values: unknown[] = Array.isArray(raw) ? raw : [raw];
    if (values.length > LIMITS.headersMax) return fail(`${field}.${name}`, `must have at most ${LIMITS.headersMax} values`);
    const checked = values.map((v, i) => {
      const f = `${field}.${name}[${i}]`;
      if (typeof v !== 'string') return fail(f, `must be a string, got ${show(v)}`);
      if (/[\r\n\0]/.test(v)) return fail(f, 'must not contain CR, LF or NUL (header injection)');
      if (v.length > LIMITS.headerValueMax) return fail(f, `must be at most ${LIMITS.headerValueMax} characters`);
      return v;
    });
    out.push([name, checked]);
  }
  // fromEntries: a header named `__proto__` stays a header, never the object's prototype.
  return Object.fromEntries(out);
}

function validateUrl(value: unknown, field: string): string {
  if (typeof value !== 'string') return fail(field, `must be a string, got ${show(value)}`);
  if (value.length > LIMITS.urlMax) return fail(field, `must be at most ${LIMITS.urlMax} characters`);
  if (/[\s\0]/.test(value)) return fail(field, 'must not contain white space or control characters');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail(field, `${show(value)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return fail(field, `must be an http or https URL, got ${url.protocol}`);
  return value;
}

function validateTarget(value: unknown, field: string): string {
  if (typeof value !== 'string') return fail(field, `must be "host:port", got ${show(value)}`);
  const m = /^(.*):(\d{1,5})$/.exec(value);
  if (!m) return fail(field, `must be "host:port", got ${show(value)}`);
  const host = (m[1] ?? '').replace(/^\[(.*)\]$/, '$1');
  validateAddress(host, field);
  validatePort(Number(m[2]), field);
  return value;
}

/** A check id given by the user: an id that does not take the `roster:` prefix of roster's own self checks. */
function validateCheckId(id: unknown, field: string, reserved: boolean): string {
  const checked = validateId(id, field);
  if (reserved && checked.startsWith('roster:'))
    return fail(field, 'ids starting with "roster:" are reserved for the self check roster adds to every instance');
  return checked;
}

function validateCheck(
  raw: unknown,
  index: number,
  count: number,
  instanceId: string,
  service: string,
  reserved: boolean,
): NormalizedCheck {
  const field = `checks[${index}]`;
  if (!isPlainObject(raw)) return fail(field, `must be an object, got ${show(raw)}`);
  const kind = raw.kind;
  const id =
    raw.id === undefined
      ? count === 1
        ? `service:${instanceId}`
        : `service:${instanceId}:${index + 1}`
      : validateCheckId(raw.id, `${field}.id`, reserved);
  let name = `Service '${service}' check`;
  if (raw.name !== undefined) {
    if (typeof raw.name !== 'string' || raw.name.length === 0 || raw.name.length > LIMITS.checkNameMax || CONTROL.test(raw.name)) {
      return fail(`${field}.name`, `must be 1 to ${LIMITS.checkNameMax} printable characters`);
    }
    name = raw.name;
  }
  let status: HealthStatus = 'critical';
  if (raw.status !== undefined) {
    if (!isHealthStatus(raw.status)) return fail(`${field}.status`, `must be "passing", "warning" or "critical", got ${show(raw.status)}`);
    status = raw.status;
  }
  const failuresBeforeCritical = intIn(raw.failuresBeforeCritical, `${field}.failuresBeforeCritical`, 0, LIMITS.thresholdMax, 0);
  const failuresBeforeWarning = intIn(
    raw.failuresBeforeWarning,
    `${field}.failuresBeforeWarning`,
    0,
    LIMITS.thresholdMax,
    failuresBeforeCritical,
  );
  if (failuresBeforeWarning > failuresBeforeCritical) {
    return fail(`${field}.failuresBeforeWarning`, `must not exceed failuresBeforeCritical (${failuresBeforeCritical})`);
  }
  const deregisterCriticalAfterMs =
    raw.deregisterCriticalAfter === undefined ? 0 : duration(raw.deregisterCriticalAfter, `${field}.deregisterCriticalAfter`, 1000, true);
  const successBeforePassing = intIn(raw.successBeforePassing, `${field}.successBeforePassing`, 0, LIMITS.thresholdMax, 0);
  // Built field by field in one order (no spread of a shared base: V8 then gives every check one
  // object shape, and a registration costs a third less to validate).
  const timeout = (intervalMs: number): number =>
    raw.timeout === undefined ? Math.min(LIMITS.defaultCheckTimeoutMs, intervalMs) : duration(raw.timeout, `${field}.timeout`, 1);
  switch (kind) {
    case 'http': {
      const url = validateUrl(raw.url, `${field}.url`);
      const intervalMs = duration(raw.interval, `${field}.interval`, LIMITS.intervalMinMs);
      let method = 'GET';
      if (raw.method !== undefined) {
        if (typeof raw.method !== 'string' || !/^[A-Z]{1,16}$/.test(raw.method)) {
          return fail(`${field}.method`, `must be an upper-case HTTP method, got ${show(raw.method)}`);
        }
        method = raw.method;
      }
      return {
        id,
        name,
        status,
        deregisterCriticalAfterMs,
        successBeforePassing,
        failuresBeforeCritical,
        failuresBeforeWarning,
        kind,
        url,
        intervalMs,
        timeoutMs: timeout(intervalMs),
        method,
        headers: validateHeaders(raw.headers, `${field}.headers`),
      };
    }
    case 'tcp': {
      const target = validateTarget(raw.target, `${field}.target`);
      const intervalMs = duration(raw.interval, `${field}.interval`, LIMITS.intervalMinMs);
      return {
        id,
        name,
        status,
        deregisterCriticalAfterMs,
        successBeforePassing,
        failuresBeforeCritical,
        failuresBeforeWarning,
        kind,
        target,
        intervalMs,
        timeoutMs: timeout(intervalMs),
      };
    }
    case 'ttl':
      if (raw.interval !== undefined) return fail(`${field}.interval`, 'a ttl check has no interval (it is renewed, not run)');
      return {
        id,
        name,
        status,
        deregisterCriticalAfterMs,
        successBeforePassing,
        failuresBeforeCritical,
        failuresBeforeWarning,
        kind,
        ttlMs: duration(raw.ttl, `${field}.ttl`, LIMITS.ttlMinMs),
      };
    default:
      return fail(`${field}.kind`, `must be "http", "tcp" or "ttl", got ${show(kind)}`);
  }
}

/** Options of {@link validateRegistration}. */
export interface ValidateOptions {
  /**
   * Accept what only roster itself may write: check ids starting with `roster:` (the self check
   * of the Consul backend) and the meta key `zone` (how the Consul wire carries the zone). For a
   * server decoding the Consul wire; a registration made with the library never needs it.
   */
  readonly allowReserved?: boolean;
}

/**
 * Validates a Registration (typed or straight from JSON) and returns it normalized.
 * @throws InvalidArgumentError naming the first offending field (e.g. `port`, `checks[0].interval`).
 */
export function validateRegistration(input: unknown, options: ValidateOptions = {}): NormalizedRegistration {
  if (typeof options !== 'object' || options === null) return fail('options', 'must be an object like { allowReserved: true }');
  const reserved = options.allowReserved !== true;
  if (!isPlainObject(input)) return fail('registration', `must be an object, got ${show(input)}`);
  const service = validateServiceName(input.service);
  const address = validateAddress(input.address, 'address');
  const port = validatePort(input.port, 'port');
  const id = input.id === undefined ? `${service}-${address}-${port}` : validateId(input.id);
  const tags = stringList(input.tags, 'tags', LIMITS.tagsMax, LIMITS.tagLengthMax);
  const meta = validateMeta(input.meta, 'meta', reserved);
  const weight = intIn(input.weight, 'weight', 1, LIMITS.weightMax, 1);
  let zone = '';
  if (input.zone !== undefined) {
    if (typeof input.zone !== 'string' || input.zone.length > LIMITS.zoneMax || !ZONE.test(input.zone)) {
      return fail('zone', `must be at most ${LIMITS.zoneMax} letters, digits, ".", "_" or "-", got ${show(input.zone)}`);
    }
    zone = input.zone;
  }
  let checks: NormalizedCheck[] = [];
  if (input.checks !== undefined && input.checks !== null) {
    if (!Array.isArray(input.checks)) return fail('checks', `must be an array, got ${show(input.checks)}`);
    if (input.checks.length > LIMITS.checksMax)
      return fail('checks', `must have at most ${LIMITS.checksMax} entries, got ${input.checks.length}`);
    const raw = input.checks as unknown[];
    checks = raw.map((c, i) => validateCheck(c, i, raw.length, id, service, reserved));
    const seen = new Set<string>();
    checks.forEach((c, i) => {
      if (seen.has(c.id)) fail(`checks[${i}].id`, `duplicate check id ${show(c.id)}`);
      seen.add(c.id);
    });
  }
  const ttlMs = input.ttl === undefined ? 0 : duration(input.ttl, 'ttl', LIMITS.ttlMinMs);
  return { service, id, address, port, tags, meta, weight, zone, checks, ttlMs };
}
