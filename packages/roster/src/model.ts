/**
 * The vocabulary of roster (DESIGN.md §3): Instance, Registration, HealthCheck, HealthStatus,
 * Snapshot. Plain immutable data; no behaviour beyond small pure helpers.
 */
import { InvalidArgumentError } from './errors.js';

/** Health of an instance or a check. Ordered: passing < warning < critical. */
export type HealthStatus = 'passing' | 'warning' | 'critical';

/** All health statuses, best first. */
export const HEALTH_STATUSES: readonly HealthStatus[] = ['passing', 'warning', 'critical'];

/** What an instance and a validated registration both say about where and what it is. */
export interface InstanceFields {
  /** Unique within the service (and within a roster serve node). */
  readonly id: string;
  /** The logical service name. */
  readonly service: string;
  /** Host name or IP address callers connect to. */
  readonly address: string;
  /** TCP port, 1–65535. */
  readonly port: number;
  readonly tags: readonly string[];
  readonly meta: Readonly<Record<string, string>>;
  /** Relative share of traffic for weighted balancers, 1–65535 (default 1). */
  readonly weight: number;
  /** Failure domain (availability zone, rack); `''` when unknown. */
  readonly zone: string;
}

/** One reachable copy of a service. */
export interface Instance extends InstanceFields {
  /** Aggregated health of the instance's checks (worst wins); `passing` without checks. */
  readonly health: HealthStatus;
}

/** Fields shared by every kind of health check. Durations: milliseconds or Go strings (`"10s"`). */
export interface HealthCheckBase {
  /** Check id; derived from the instance id when absent. */
  readonly id?: string;
  /** Human-readable name. */
  readonly name?: string;
  /** Status before the first result; `critical` when absent (as Consul does). */
  readonly status?: HealthStatus;
  /** Remove the whole instance after the check has been critical this long. */
  readonly deregisterCriticalAfter?: number | string;
  /** Consecutive successes needed before the check turns passing (default 0: at once). */
  readonly successBeforePassing?: number;
  /** Consecutive failures needed before the check turns critical (default 0: at once). */
  readonly failuresBeforeCritical?: number;
  /** Consecutive failures needed before the check turns warning (default: same as critical). */
  readonly failuresBeforeWarning?: number;
}

/** HTTP GET (or `method`) to `url` every `interval`: 2xx passing, 429 warning, else critical. */
export interface HttpCheck extends HealthCheckBase {
  readonly kind: 'http';
  readonly url: string;
  readonly interval: number | string;
  readonly timeout?: number | string;
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
}

/** TCP connect to `target` (`host:port`) every `interval`: connected is passing. */
export interface TcpCheck extends HealthCheckBase {
  readonly kind: 'tcp';
  readonly target: string;
  readonly interval: number | string;
  readonly timeout?: number | string;
}

/** Heartbeat check: critical unless renewed (by the Lease) within `ttl`. */
export interface TtlCheck extends HealthCheckBase {
  readonly kind: 'ttl';
  readonly ttl: number | string;
}

/** The spec of a health check. Scripts are deliberately not a kind: roster never runs commands. */
export type HealthCheck = HttpCheck | TcpCheck | TtlCheck;

/** The input that announces an instance. */
export interface Registration {
  readonly service: string;
  /** Defaults to `<service>-<address>-<port>`. */
  readonly id?: string;
  readonly address: string;
  readonly port: number;
  readonly tags?: readonly string[];
  readonly meta?: Readonly<Record<string, string>>;
  readonly weight?: number;
  readonly zone?: string;
  /** Health checks run by the registry (HTTP, TCP) or renewed by the Lease (TTL). */
  readonly checks?: readonly HealthCheck[];
  /**
   * Time to live of the registration itself: the Lease renews it every `ttl / 3`; if the
   * renewals stop (the process died or froze), the registry drops or fails the instance.
   */
  readonly ttl?: number | string;
}

/** A validated check with durations in milliseconds and defaults filled in. */
export type NormalizedCheck =
  | (NormalizedCheckBase & {
      readonly kind: 'http';
      readonly url: string;
      readonly intervalMs: number;
      readonly timeoutMs: number;
      readonly method: string;
      readonly headers: Readonly<Record<string, readonly string[]>>;
    })
  | (NormalizedCheckBase & { readonly kind: 'tcp'; readonly target: string; readonly intervalMs: number; readonly timeoutMs: number })
  | (NormalizedCheckBase & { readonly kind: 'ttl'; readonly ttlMs: number });

/** Fields every normalized check has. */
export interface NormalizedCheckBase {
  readonly id: string;
  readonly name: string;
  readonly status: HealthStatus;
  /** 0 = never. */
  readonly deregisterCriticalAfterMs: number;
  readonly successBeforePassing: number;
  readonly failuresBeforeCritical: number;
  readonly failuresBeforeWarning: number;
}

/** A validated registration: every field present, durations in milliseconds. */
export interface NormalizedRegistration extends InstanceFields {
  readonly checks: readonly NormalizedCheck[];
  /** 0 = no TTL (the registration lives until deregistered). */
  readonly ttlMs: number;
}

/** All instances of one service at one revision of the registry. */
export interface Snapshot {
  readonly service: string;
  /** Sorted by id. */
  readonly instances: readonly Instance[];
  /** Increases with every change of this service; never goes backwards within one Registry. */
  readonly revision: number;
}

/** Worst of the given statuses; `passing` for none. */
export function worstHealth(statuses: Iterable<HealthStatus>): HealthStatus {
  let worst: HealthStatus = 'passing';
  for (const s of statuses) {
    if (s === 'critical') return 'critical';
    if (s === 'warning') worst = 'warning';
  }
  return worst;
}

/** True when `value` is one of the three health statuses. */
export function isHealthStatus(value: unknown): value is HealthStatus {
  return value === 'passing' || value === 'warning' || value === 'critical';
}

/** Builds the Instance a normalized registration describes, with the given health. */
export function toInstance(reg: NormalizedRegistration, health: HealthStatus): Instance {
  return {
    id: reg.id,
    service: reg.service,
    address: reg.address,
    port: reg.port,
    tags: reg.tags,
    meta: reg.meta,
    weight: reg.weight,
    zone: reg.zone,
    health,
  };
}

/**
 * Orders instances by id (the order of {@link Snapshot.instances}).
 * @throws InvalidArgumentError naming `a.id` or `b.id` when one is not an instance with a string id.
 */
export function byId(a: Instance, b: Instance): number {
  if (typeof a?.id !== 'string') throw new InvalidArgumentError('a.id', 'must be an instance with a string id');
  if (typeof b?.id !== 'string') throw new InvalidArgumentError('b.id', 'must be an instance with a string id');
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
