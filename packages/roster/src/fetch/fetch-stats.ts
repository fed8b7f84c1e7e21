/**
 * Counters of a discovery-aware client, as plain numbers a user can export to any metrics
 * system (`client.stats()`): no metrics library in roster itself. `ServiceCounters` is the
 * mutable side, kept by the client; the exported types are the read-only snapshots.
 */
import type { CallOutcome } from '../balancer/balancer.js';
import type { Instance } from '../model.js';

/** Attempts that reached one instance, by outcome (as reported to the Balancer). */
export interface InstanceStats {
  /** Attempts answered with a status below 500 (or aborted by the caller). */
  readonly ok: number;
  /** Attempts answered with 5xx, failed to connect, reset, or timed out. */
  readonly failed: number;
}

/** Counters of one service, since the client was created. */
export interface ServiceStats {
  /** Calls made (each may have several attempts). */
  readonly requests: number;
  /** Retries made (attempts after the first). */
  readonly retries: number;
  /** Retries that were due but refused by the retry budget. */
  readonly retryBudgetExhausted: number;
  /** Calls that failed with `NoInstancesError`. */
  readonly noInstances: number;
  /** Calls that rejected, for any reason (a 5xx response is not a rejection). */
  readonly failures: number;
  /** Outlier ejections. */
  readonly ejections: number;
  /** Per instance id, for the instances of the current snapshot. */
  readonly instances: Readonly<Record<string, InstanceStats>>;
}

/** Counters of a client: totals over its services, and each service. */
export interface FetchStats extends Omit<ServiceStats, 'instances'> {
  readonly services: Readonly<Record<string, ServiceStats>>;
}

/** The mutable counters of one service. Internal to fetch/. */
export class ServiceCounters {
  /** See {@link ServiceStats} for the meaning of each counter. */
  requests = 0;
  retries = 0;
  retryBudgetExhausted = 0;
  noInstances = 0;
  failures = 0;
  ejections = 0;
  readonly #instances = new Map<string, { ok: number; failed: number }>();

  /** Counts one finished attempt. */
  outcome(instance: Instance, outcome: CallOutcome): void {
    let counts = this.#instances.get(instance.id);
    if (counts === undefined) {
      counts = { ok: 0, failed: 0 };
      this.#instances.set(instance.id, counts);
    }
    if (outcome.ok) counts.ok++;
    else counts.failed++;
  }

  /** Forgets instances that left the service, so the map does not grow with churn. */
  retain(instances: readonly Instance[]): void {
    if (this.#instances.size === 0) return;
    const keep = new Set(instances.map((i) => i.id));
    for (const id of this.#instances.keys()) if (!keep.has(id)) this.#instances.delete(id);
  }

  /** A read-only copy. */
  snapshot(): ServiceStats {
    const instances: Record<string, InstanceStats> = {};
    for (const [id, c] of this.#instances) instances[id] = { ok: c.ok, failed: c.failed };
    return {
      requests: this.requests,
      retries: this.retries,
      retryBudgetExhausted: this.retryBudgetExhausted,
      noInstances: this.noInstances,
      failures: this.failures,
      ejections: this.ejections,
      instances,
    };
  }
}

/** Sums the counters of every service into a {@link FetchStats}. */
export function fetchStats(services: Iterable<readonly [string, ServiceCounters]>): FetchStats {
  const totals = { requests: 0, retries: 0, retryBudgetExhausted: 0, noInstances: 0, failures: 0, ejections: 0 };
  const byService: Record<string, ServiceStats> = {};
  for (const [name, counters] of services) {
    const s = counters.snapshot();
    byService[name] = s;
    totals.requests += s.requests;
    totals.retries += s.retries;
    totals.retryBudgetExhausted += s.retryBudgetExhausted;
    totals.noInstances += s.noInstances;
    totals.failures += s.failures;
    totals.ejections += s.ejections;
  }
  return { ...totals, services: byService };
}
