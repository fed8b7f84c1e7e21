/**
 * Options of `registerGrpcResolver()`, validated once with an InvalidArgumentError naming the
 * option, and the service config the resolver hands to grpc-js.
 */
import { InvalidArgumentError } from '../errors.js';
import type { Registry } from '../registry/registry.js';
import { validateServiceName } from '../validate.js';

/** grpc-js's retry policy (gRFC A6), as it appears in a service config. */
export interface GrpcRetryPolicy {
  /** Attempts in total, the first included: 2–5 (grpc-js caps it at 5). */
  readonly maxAttempts: number;
  /** Backoff before the first retry, a decimal number of seconds followed by `s` (`'0.05s'`). */
  readonly initialBackoff: string;
  readonly maxBackoff: string;
  readonly backoffMultiplier: number;
  /** Status names (`'UNAVAILABLE'`) or numbers. */
  readonly retryableStatusCodes: readonly (string | number)[];
}

/** What a target's calls use: a load-balancing policy and a retry policy. */
export interface GrpcServiceSettings {
  /**
   * A load-balancing policy registered with grpc-js: `roster_p2c_ewma` (default),
   * `roster_weighted`, or grpc-js's own `round_robin`, `pick_first`.
   */
  readonly loadBalancing?: string;
  /** The retry policy of every method, or `false` for none. Default {@link DEFAULT_GRPC_RETRY}. */
  readonly retry?: GrpcRetryPolicy | false;
}

/** Options of `registerGrpcResolver()`. */
export interface GrpcResolverOptions extends GrpcServiceSettings {
  /** Where instances come from (`connect(url)`). */
  readonly registry: Registry;
  /** URI scheme to register (default `roster`): one scheme per registry. */
  readonly scheme?: string;
  /** Per service, settings that override the defaults above (a target's `?lb=` overrides both). */
  readonly services?: Readonly<Record<string, GrpcServiceSettings>>;
  /**
   * How long a new channel waits for the registry's first snapshot before grpc-js is told
   * resolution failed (calls then fail UNAVAILABLE unless `waitForReady`; the resolver keeps
   * waiting and recovers on the first snapshot), in ms. Default 10 000.
   */
  readonly readyTimeoutMs?: number;
  /**
   * Fraction (0–1) of the non-critical instances that must be `passing` for `warning` ones to be
   * left out — the Balancer's rule (`passingQuorum` of `createBalancer`). Default 0.5.
   */
  readonly passingQuorum?: number;
}

/**
 * The default retry policy: UNAVAILABLE (refused, reset, draining, killed) is retried up to twice
 * with 50 ms doubling backoff. grpc-js retries only calls not yet committed (no response
 * message received), so a retry never repeats a streamed answer.
 */
export const DEFAULT_GRPC_RETRY: GrpcRetryPolicy = Object.freeze({
  maxAttempts: 3,
  initialBackoff: '0.05s',
  maxBackoff: '1s',
  backoffMultiplier: 2,
  retryableStatusCodes: Object.freeze(['UNAVAILABLE']),
});

/** The default load-balancing policy. */
export const DEFAULT_GRPC_LB = 'roster_p2c_ewma';

/** Validated options. */
export interface GrpcResolverSettings {
  readonly registry: Registry;
  readonly scheme: string;
  readonly defaults: Required<GrpcServiceSettings>;
  readonly services: ReadonlyMap<string, GrpcServiceSettings>;
  readonly readyTimeoutMs: number;
  readonly passingQuorum: number;
}

const KEYS = new Set(['registry', 'scheme', 'loadBalancing', 'retry', 'services', 'readyTimeoutMs', 'passingQuorum']);
const SERVICE_KEYS = new Set(['loadBalancing', 'retry']);
const RETRY_KEYS = new Set(['maxAttempts', 'initialBackoff', 'maxBackoff', 'backoffMultiplier', 'retryableStatusCodes']);
const DURATION = /^\d+(\.\d{1,9})?s$/;
const SCHEME = /^[a-z][a-z0-9+.-]*$/;

const fail = (field: string, problem: string): never => {
  throw new InvalidArgumentError(field, problem);
};

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function onlyKeys(value: Record<string, unknown>, allowed: Set<string>, prefix: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.has(key)) fail(`${prefix}${key}`, `unknown option (known: ${[...allowed].join(', ')})`);
  }
}

function lbName(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') return fail(field, 'must be a policy name such as "roster_p2c_ewma" or "round_robin"');
  return value;
}

function retryPolicy(value: unknown, field: string): GrpcRetryPolicy | false | undefined {
  if (value === undefined || value === false) return value;
  if (!isObject(value)) return fail(field, 'must be a retry policy object or false');
  onlyKeys(value, RETRY_KEYS, `${field}.`);
  const r = { ...DEFAULT_GRPC_RETRY, ...value } as GrpcRetryPolicy;
  if (!Number.isInteger(r.maxAttempts) || r.maxAttempts < 2 || r.maxAttempts > 5) {
    fail(`${field}.maxAttempts`, `must be an integer from 2 to 5, got ${String(r.maxAttempts)}`);
  }
  for (const key of ['initialBackoff', 'maxBackoff'] as const) {
    if (typeof r[key] !== 'string' || !DURATION.test(r[key]))
      fail(`${field}.${key}`, `must be seconds like "0.05s", got ${String(r[key])}`);
  }
  if (typeof r.backoffMultiplier !== 'number' || !(r.backoffMultiplier > 0) || !Number.isFinite(r.backoffMultiplier)) {
    fail(`${field}.backoffMultiplier`, `must be a number > 0, got ${String(r.backoffMultiplier)}`);
  }
  if (!Array.isArray(r.retryableStatusCodes) || r.retryableStatusCodes.length === 0) {
    fail(`${field}.retryableStatusCodes`, 'must be a non-empty array of status names like "UNAVAILABLE"');
  }
  return r;
}

function serviceSettings(value: unknown, field: string): GrpcServiceSettings {
  if (!isObject(value)) return fail(field, 'must be an object like { loadBalancing: "roster_weighted" }');
  onlyKeys(value, SERVICE_KEYS, `${field}.`);
  const loadBalancing = lbName(value.loadBalancing, `${field}.loadBalancing`);
  const retry = retryPolicy(value.retry, `${field}.retry`);
  return { ...(loadBalancing === undefined ? {} : { loadBalancing }), ...(retry === undefined ? {} : { retry }) };
}

/**
 * Validates `registerGrpcResolver()`'s options and fills defaults.
 * @throws InvalidArgumentError naming the first bad option.
 */
export function normalizeGrpcOptions(options: unknown): GrpcResolverSettings {
  if (!isObject(options)) return fail('options', 'must be an object like { registry: connect(url) }');
  onlyKeys(options, KEYS, '');
  const o = options as unknown as GrpcResolverOptions;
  if (!isObject(o.registry) || typeof o.registry.watch !== 'function') fail('registry', 'must be a Registry (e.g. connect(url))');
  const scheme = o.scheme ?? 'roster';
  if (typeof scheme !== 'string' || !SCHEME.test(scheme)) fail('scheme', `must be a URI scheme like "roster", got ${String(scheme)}`);
  if (['dns', 'ipv4', 'ipv6', 'unix', 'unix-abstract'].includes(scheme)) fail('scheme', `"${scheme}" is grpc-js's own scheme`);
  const services = new Map<string, GrpcServiceSettings>();
  if (o.services !== undefined) {
    if (!isObject(o.services)) fail('services', 'must be an object keyed by service name');
    for (const [name, value] of Object.entries(o.services)) {
      validateServiceName(name, `services.${name}`);
      services.set(name, serviceSettings(value, `services.${name}`));
    }
  }
  const readyTimeoutMs = o.readyTimeoutMs ?? 10_000;
  if (typeof readyTimeoutMs !== 'number' || !Number.isFinite(readyTimeoutMs) || readyTimeoutMs < 0 || readyTimeoutMs > 2 ** 31 - 1) {
    fail('readyTimeoutMs', `must be a number of milliseconds from 0 to ${2 ** 31 - 1}, got ${String(readyTimeoutMs)}`);
  }
  const passingQuorum = o.passingQuorum ?? 0.5;
  if (typeof passingQuorum !== 'number' || !(passingQuorum >= 0 && passingQuorum <= 1)) {
    fail('passingQuorum', `must be a number from 0 to 1, got ${String(passingQuorum)}`);
  }
  return {
    registry: o.registry,
    scheme,
    defaults: {
      loadBalancing: lbName(o.loadBalancing, 'loadBalancing') ?? DEFAULT_GRPC_LB,
      retry: retryPolicy(o.retry, 'retry') ?? DEFAULT_GRPC_RETRY,
    },
    services,
    readyTimeoutMs,
    passingQuorum,
  };
}

/** The grpc-js service config (JSON form) of one target. */
export function serviceConfigOf(settings: GrpcResolverSettings, service: string, lb: string | undefined): object {
  const own = settings.services.get(service);
  const loadBalancing = lb ?? own?.loadBalancing ?? settings.defaults.loadBalancing;
  const retry = own?.retry ?? settings.defaults.retry;
  return {
    loadBalancingConfig: [{ [loadBalancing]: {} }],
    methodConfig: retry === false ? [] : [{ name: [{}], retryPolicy: { ...retry, retryableStatusCodes: [...retry.retryableStatusCodes] } }],
  };
}
