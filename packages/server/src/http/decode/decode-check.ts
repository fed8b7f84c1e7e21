/**
 * Decoding of Consul's check fields (`CheckType`, spec §4.3, §6.1, §6.6) into a roster
 * HealthCheck (validated by the library, so the server and the library agree on every limit)
 * plus the Consul-only details the server keeps in the check's definition.
 */
import type { HealthCheck, HttpCheck, NormalizedCheck, TcpCheck, TtlCheck } from '@rosterjs/roster';
import { isHealthStatus } from '@rosterjs/roster';
import type { CheckDefinition } from '../../catalog/types.js';
import { refusedHost } from '@rosterjs/roster/health';
import { ApiError, badRequest, invalidCheck, ServerErrorCode } from '../../errors.js';
import type { Fields } from './fields.js';

/** A TLS server name (SNI): a DNS name, at most 253 characters. */
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;

/** Default and largest `OutputMaxSize`, in bytes. */
export const OUTPUT_MAX_SIZE_DEFAULT = 4096;
export const OUTPUT_MAX_SIZE_LIMIT = 65_536;

/** Settings the decoder needs from the server. */
export interface CheckDecodeOptions {
  /** Shortest `DeregisterCriticalServiceAfter` (Consul: 1 minute); shorter values are raised to it. */
  readonly deregisterCriticalMinMs: number;
}

/** Every field of `T`, optional and writable. */
type Draft<T> = { -readonly [K in keyof T]?: T[K] };

/** A check being decoded: the fields of every kind, each with its own type, set one by one. */
type CheckDraft = Draft<Omit<HttpCheck, 'kind'>> &
  Draft<Omit<TcpCheck, 'kind'>> &
  Draft<Omit<TtlCheck, 'kind'>> & { kind?: HealthCheck['kind'] };

/** A decoded check: the roster form to validate, and the extras to keep. */
export interface DecodedCheck {
  readonly check: HealthCheck;
  readonly notes: string;
  readonly extras: Pick<CheckDefinition, 'body' | 'disableRedirects' | 'tlsSkipVerify' | 'tlsServerName' | 'outputMaxSize'>;
}

const UNSUPPORTED: readonly (readonly [string[], string])[] = [
  [['Args', 'ScriptArgs', 'script_args', 'Script', 'Shell'], 'script checks are not supported (roster never runs commands)'],
  [['DockerContainerID', 'docker_container_id'], 'Docker checks are not supported'],
  [['GRPC', 'GRPCUseTLS', 'grpc_use_tls'], 'gRPC checks are not supported'],
  [['H2PING', 'H2PingUseTLS', 'h2ping_use_tls'], 'H2PING checks are not supported'],
  [['UDP'], 'UDP checks are not supported'],
  [['AliasNode', 'AliasService', 'alias_node', 'alias_service'], 'alias checks are not supported'],
  [['OSService', 'os_service'], 'OSService checks are not supported'],
];
/** {@link UNSUPPORTED} split once into the field name and its aliases. */
const UNSUPPORTED_FIELDS = UNSUPPORTED.map(([[name, ...aliases], reason]) => ({ name: name!, aliases, reason }));
/** Every unsupported field name and alias, lower-cased: a check with none of them skips the scan. */
const UNSUPPORTED_LOWER: ReadonlySet<string> = new Set(UNSUPPORTED.flatMap(([names]) => names.map((n) => n.toLowerCase())));

/**
 * True when a check object carries nothing (Consul skips those in `Checks`). Its durations are
 * decoded first: Consul decodes the whole body before it looks at emptiness, so a bad duration
 * is a decode error even in an otherwise empty check.
 */
export function isEmptyCheck(f: Fields): boolean {
  f.duration('TTL');
  f.duration('Interval');
  f.duration('Timeout');
  f.duration('DeregisterCriticalServiceAfter', 'deregister_critical_service_after');
  for (const key of f.keys()) {
    const v = f.raw(key);
    if (v === undefined || v === '' || v === 0 || v === false) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0) continue;
    return false;
  }
  return true;
}

/**
 * Decodes the check fields of `f` (a `Check`, an entry of `Checks`, or a check definition).
 * @param statusError the 400 text for a bad `Status` (it differs between endpoints).
 * @throws ApiError 400 (decode errors, `Invalid check: ...`, bad status).
 */
export function decodeCheck(f: Fields, id: string | undefined, statusError: string, options: CheckDecodeOptions): DecodedCheck {
  if (f.hasKeyIn(UNSUPPORTED_LOWER)) {
    for (const { name, aliases, reason } of UNSUPPORTED_FIELDS) {
      const v = f.first(name, aliases);
      if (v !== undefined && v !== '' && v !== false && !(Array.isArray(v) && v.length === 0)) throw invalidCheck(reason);
    }
  }
  if (f.bool('TCPUseTLS', 'tcp_use_tls') === true) throw invalidCheck('TCP checks over TLS are not supported');

  const status = f.string('Status');
  if (status !== undefined && status !== '' && !isHealthStatus(status)) throw badRequest(statusError);
  const http = f.string('HTTP') ?? '';
  const tcp = f.string('TCP') ?? '';
  const ttlMs = f.duration('TTL') ?? 0;
  let intervalMs = f.duration('Interval') ?? 0;
  const timeoutMs = f.duration('Timeout');
  let deregisterMs = f.duration('DeregisterCriticalServiceAfter', 'deregister_critical_service_after') ?? 0;
  const outputMaxSize = f.int('OutputMaxSize', 'output_max_size') ?? 0;

  const intervalCheck = http !== '' || tcp !== '';
  if (intervalMs > 0 && ttlMs > 0) throw invalidCheck('Interval and TTL cannot both be specified');
  if (intervalCheck && intervalMs <= 0) throw invalidCheck('Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or OSService checks');
  if (!intervalCheck && ttlMs <= 0) throw invalidCheck('TTL must be > 0 for TTL checks');
  // Consul ignores a negative Timeout or DeregisterCriticalServiceAfter; roster refuses it.
  if (timeoutMs !== undefined && timeoutMs < 0) throw invalidCheck('Timeout must not be negative');
  if (deregisterMs < 0) throw invalidCheck('DeregisterCriticalServiceAfter must not be negative');
  if (outputMaxSize < 0) throw invalidCheck('MaxOutputMaxSize must be positive');
  if (outputMaxSize > OUTPUT_MAX_SIZE_LIMIT) throw invalidCheck(`OutputMaxSize must be at most ${OUTPUT_MAX_SIZE_LIMIT}`);
  // Consul raises a short interval to 1 s (with a warning) and a short deregister time to its minimum.
  if (intervalCheck && intervalMs < 1000) intervalMs = 1000;
  if (deregisterMs > 0 && deregisterMs < options.deregisterCriticalMinMs) deregisterMs = options.deregisterCriticalMinMs;

  // Built field by field (no spreads: they cost more than the rest of the decoding).
  const check: CheckDraft = {};
  if (id !== undefined) check.id = id;
  const name = f.string('Name');
  if (name) check.name = name;
  if (status) check.status = status;
  if (deregisterMs > 0) check.deregisterCriticalAfter = deregisterMs;
  setInt(check, 'successBeforePassing', f.int('SuccessBeforePassing', 'success_before_passing'));
  setInt(check, 'failuresBeforeWarning', f.int('FailuresBeforeWarning', 'failures_before_warning'));
  setInt(check, 'failuresBeforeCritical', f.int('FailuresBeforeCritical', 'failures_before_critical'));
  refuseTarget(http, tcp);
  if (http !== '') {
    const header = decodeHeader(f);
    const method = f.string('Method');
    check.kind = 'http';
    check.url = http;
    check.interval = intervalMs;
    if (timeoutMs !== undefined && timeoutMs > 0) check.timeout = timeoutMs;
    if (method) check.method = method;
    if (header) check.headers = header;
  } else if (tcp !== '') {
    check.kind = 'tcp';
    check.target = tcp;
    check.interval = intervalMs;
    if (timeoutMs !== undefined && timeoutMs > 0) check.timeout = timeoutMs;
  } else {
    check.kind = 'ttl';
    check.ttl = ttlMs;
  }
  const body = f.string('Body');
  const tlsServerName = f.string('TLSServerName', 'tls_server_name');
  if (tlsServerName && !HOST_NAME.test(tlsServerName)) {
    throw invalidCheck(`TLSServerName: ${JSON.stringify(tlsServerName.slice(0, 40))} is not a host name`);
  }
  const extras: Draft<DecodedCheck['extras']> = {};
  if (body) extras.body = body;
  if (f.bool('DisableRedirects', 'disable_redirects')) extras.disableRedirects = true;
  if (f.bool('TLSSkipVerify', 'tls_skip_verify')) extras.tlsSkipVerify = true;
  if (tlsServerName) extras.tlsServerName = tlsServerName;
  extras.outputMaxSize = outputMaxSize > 0 ? outputMaxSize : OUTPUT_MAX_SIZE_DEFAULT;
  // Complete by construction: `kind` and the fields that kind requires were set above.
  return { check: check as HealthCheck, notes: f.string('Notes') ?? '', extras: extras as DecodedCheck['extras'] };
}

function setInt(
  target: CheckDraft,
  key: 'successBeforePassing' | 'failuresBeforeWarning' | 'failuresBeforeCritical',
  value: number | undefined,
): void {
  if (value !== undefined) target[key] = value;
}

/** `Header`: `map[string][]string`; a plain string value is accepted as a one-element list. */
function decodeHeader(f: Fields): Record<string, string[]> | undefined {
  const raw = f.raw('Header');
  if (raw === undefined) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw badRequest('Request decode failed: json: cannot unmarshal into Header of type map[string][]string');
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      if (typeof v !== 'string') throw badRequest(`Request decode failed: json: cannot unmarshal into Header.${name} of type string`);
    }
    out[name] = values as string[];
  }
  return out;
}

/** Builds the stored definition from a validated check and the decoded extras. */
export function toDefinition(normalized: NormalizedCheck, extras: DecodedCheck['extras']): CheckDefinition {
  const common = {
    deregisterCriticalAfterMs: normalized.deregisterCriticalAfterMs,
    successBeforePassing: normalized.successBeforePassing,
    failuresBeforeWarning: normalized.failuresBeforeWarning,
    failuresBeforeCritical: normalized.failuresBeforeCritical,
    outputMaxSize: extras.outputMaxSize,
  };
  switch (normalized.kind) {
    case 'http':
      return {
        type: 'http',
        http: normalized.url,
        method: normalized.method,
        header: normalized.headers,
        ...(extras.body === undefined ? {} : { body: extras.body }),
        ...(extras.disableRedirects ? { disableRedirects: true } : {}),
        ...(extras.tlsSkipVerify ? { tlsSkipVerify: true } : {}),
        ...(extras.tlsServerName === undefined ? {} : { tlsServerName: extras.tlsServerName }),
        intervalMs: normalized.intervalMs,
        timeoutMs: normalized.timeoutMs,
        ttlMs: 0,
        ...common,
      };
    case 'tcp':
      return {
        type: 'tcp',
        tcp: normalized.target,
        intervalMs: normalized.intervalMs,
        timeoutMs: normalized.timeoutMs,
        ttlMs: 0,
        ...common,
      };
    case 'ttl':
      return { type: 'ttl', intervalMs: 0, timeoutMs: 0, ttlMs: normalized.ttlMs, ...common };
  }
}

/**
 * The check-target guard at registration (issue 14): a target that is, as written, a link-local
 * or metadata address is refused with 400 naming the rule. Names are checked at probe time,
 * where they resolve (the check is then critical with the rule in its output).
 * @throws ApiError 400 (`ROSTER_SERVER_CHECK_TARGET_REFUSED`) `Invalid check: HTTP/TCP target refused: <rule>`.
 */
function refuseTarget(http: string, tcp: string): void {
  let host: string | undefined;
  if (http !== '') {
    try {
      host = new URL(http).hostname;
    } catch {
      return; // the URL's own validation answers
    }
  } else if (tcp !== '') {
    host = /^(.+):\d{1,5}$/.exec(tcp)?.[1];
  }
  const rule = host === undefined ? undefined : refusedHost(host);
  if (rule !== undefined) {
    throw new ApiError(ServerErrorCode.CheckTargetRefused, `Invalid check: ${http !== '' ? 'HTTP' : 'TCP'} target refused: ${rule}`);
  }
}
