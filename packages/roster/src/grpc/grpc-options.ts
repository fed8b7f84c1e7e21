/**
 * Options of `registerGrpcResolver()`, validated once with an InvalidArgumentError naming the
 * option, and the service config the resolver hands to grpc-js.
 */
import * as o from '../internal/options.js';
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
   * waiting and recovers on the first snapshot): ms or a duration string. Default 10 000.
   */
  readonly readyTimeoutMs?: number | string;
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

const RESERVED_SCHEMES = ['dns', 'ipv4', 'ipv6', 'unix', 'unix-abstract'];

/** A grpc-js duration string: a decimal number of seconds and `s`. */
const seconds = o.string(2, 32, /^\d+(\.\d{1,9})?s$/, 'seconds like "0.05s"');

const retryShape = o.object({
  maxAttempts: o.withDefault(o.integer(2, 5), DEFAULT_GRPC_RETRY.maxAttempts),
  initialBackoff: o.withDefault(seconds, DEFAULT_GRPC_RETRY.initialBackoff),
  maxBackoff: o.withDefault(seconds, DEFAULT_GRPC_RETRY.maxBackoff),
  backoffMultiplier: o.withDefault(o.number(Number.MIN_VALUE, 1000), DEFAULT_GRPC_RETRY.backoffMultiplier),
  retryableStatusCodes: o.withDefault(
    (value, path) => {
      const codes = o.arrayOf(o.either(o.string(1, 32, /^[A-Z_]+$/, 'a status name like "UNAVAILABLE"'), o.integer(0, 16)), 17)(
        value,
        path,
      );
      return codes.length > 0 ? codes : o.fail(path, 'must name at least one status, e.g. ["UNAVAILABLE"]');
    },
    [...DEFAULT_GRPC_RETRY.retryableStatusCodes],
  ),
});
const retry = o.optional(o.either(o.literal(false), retryShape));
const lb = o.optional(o.string(1, 128, /^[A-Za-z0-9_.-]+$/, 'a policy name such as "roster_p2c_ewma" or "round_robin"'));
const serviceShape = o.object({ loadBalancing: lb, retry });

/**
 * Validates `registerGrpcResolver()`'s options (the library's options vocabulary) and fills defaults.
 * @throws InvalidArgumentError naming the first bad option.
 */
export function normalizeGrpcOptions(options: unknown): GrpcResolverSettings {
  if (options === undefined) o.fail('', 'must be an object like { registry: connect(url) }');
  const parsed = o.options(options, {
    registry: o.withMethods<Registry>(['watch', 'list'], 'a Registry (e.g. connect(url))'),
    scheme: o.withDefault(o.string(1, 32, /^[a-z][a-z0-9+.-]*$/, 'a URI scheme like "roster"'), 'roster'),
    loadBalancing: lb,
    retry,
    services: o.optional((value, path) => {
      if (!o.isObject(value)) return o.fail(path, `must be an object keyed by service name, got ${o.describe(value)}`);
      const out = new Map<string, GrpcServiceSettings>();
      for (const [name, settings] of Object.entries(value)) {
        validateServiceName(name, o.join(path, name));
        out.set(name, serviceShape(settings, o.join(path, name)) as GrpcServiceSettings);
      }
      return out;
    }),
    readyTimeoutMs: o.withDefault(o.duration(0), 10_000),
    passingQuorum: o.withDefault(o.number(0, 1), 0.5),
  });
  if (RESERVED_SCHEMES.includes(parsed.scheme)) o.fail('scheme', `"${parsed.scheme}" is grpc-js's own scheme`);
  return {
    registry: parsed.registry,
    scheme: parsed.scheme,
    defaults: {
      loadBalancing: parsed.loadBalancing ?? DEFAULT_GRPC_LB,
      retry: (parsed.retry as GrpcRetryPolicy | false | undefined) ?? DEFAULT_GRPC_RETRY,
    },
    services: parsed.services ?? new Map(),
    readyTimeoutMs: parsed.readyTimeoutMs,
    passingQuorum: parsed.passingQuorum,
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
