/**
 * "Critical since" bookkeeping for `DeregisterCriticalServiceAfter`. Pure: the caller passes the
 * time; {@link startCriticalReaper} drives it with a clock and a timer.
 */
import type { HealthStatus } from '../model.js';

interface Entry {
  /** When the check became critical (ms). */
  readonly since: number;
  /** Reap after this long critical; 0 = never. */
  afterMs: number;
}

/**
 * Which checks have been critical since when, and which of them have been critical long enough
 * to be reaped. Only critical checks are held, so the cost follows the number of failing checks,
 * not of all checks.
 */
export class CriticalTracker {
  readonly #entries = new Map<string, Entry>();

  /**
   * Records the status a check has at `now`: call it on registration (a new check starts
   * critical, and that counts) and on every status change. `critical` starts the clock unless
   * the check was critical already (then only `afterMs` is updated); any other status stops it.
   *
   * @param afterMs the check's `deregisterCriticalAfterMs`; 0 = never reap (still tracked for
   *   {@link criticalSince}).
   */
  observe(checkId: string, status: HealthStatus, now: number, afterMs = 0): void {
    if (status !== 'critical') {
      this.#entries.delete(checkId);
      return;
    }
    const entry = this.#entries.get(checkId);
    if (entry) entry.afterMs = afterMs;
    else this.#entries.set(checkId, { since: now, afterMs });
  }

  /** Stops tracking a check (it was deregistered). */
  forget(checkId: string): void {
    this.#entries.delete(checkId);
  }

  /** When the check became critical, or `undefined` when it is not critical (or unknown). */
  criticalSince(checkId: string): number | undefined {
    return this.#entries.get(checkId)?.since;
  }

  /**
   * Checks critical for at least their `afterMs` at `now` (`now ≥ since + afterMs`), the
   * longest overdue first. Does not forget them: the caller deregisters, then calls `forget`.
   */
  due(now: number): string[] {
    const due: [string, number][] = [];
    for (const [id, { since, afterMs }] of this.#entries) {
      if (afterMs > 0 && since + afterMs <= now) due.push([id, since + afterMs]);
    }
    return due.sort((a, b) => a[1] - b[1]).map(([id]) => id);
  }

  /** The earliest time at which some check falls due, or `undefined` when none will. */
  nextDueAt(): number | undefined {
    let next: number | undefined;
    for (const { since, afterMs } of this.#entries.values()) {
      if (afterMs > 0 && (next === undefined || since + afterMs < next)) next = since + afterMs;
    }
    return next;
  }
}
