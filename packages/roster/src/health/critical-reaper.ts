/**
 * `DeregisterCriticalServiceAfter` on a clock: tells the server which checks have been critical
 * long enough for their instance to be deregistered. Consul looks every 30 s; this reaper sets
 * one timer at the earliest due time, so an instance goes when its time is up (at most
 * `minIntervalMs` late when many fall due close together).
 */
import { type Clock, systemClock, type TimerHandle } from '../clock.js';
import { describe } from '../internal/options.js';
import { InvalidArgumentError } from '../errors.js';
import type { HealthStatus } from '../model.js';
import { CriticalTracker } from './critical-tracker.js';

/** Default least time between two reaps: due checks are gathered into one `onDue` call. */
export const REAP_MIN_INTERVAL_MS = 1000;

/** Options of {@link startCriticalReaper}. */
export interface CriticalReaperOptions {
  /** Time source; default the system clock. */
  readonly clock?: Clock;
  /** Least time between two `onDue` calls (ms, ≥ 0); default {@link REAP_MIN_INTERVAL_MS}. */
  readonly minIntervalMs?: number;
  /**
   * Receives the ids of checks that have been critical for their `afterMs`, longest overdue
   * first. They are no longer tracked when this is called: the server deregisters each one's
   * instance (and so all of its checks). Called from a timer; it must not throw (an exception
   * is rethrown asynchronously as an uncaught exception).
   */
  onDue(checkIds: readonly string[]): void;
}

/** A running reaper. Every method is synchronous and O(1) except when the timer fires. */
export interface CriticalReaper {
  /**
   * Records a check's status now: on registration (with its initial status: a new check is
   * critical from that moment) and on every status change.
   * @param afterMs the check's `deregisterCriticalAfterMs`; 0 = never reap.
   */
  observe(checkId: string, status: HealthStatus, afterMs: number): void;
  /** Stops tracking a check (deregistered, or its instance is gone). */
  forget(checkId: string): void;
  /** When the check became critical, or `undefined` when it is not critical. */
  criticalSince(checkId: string): number | undefined;
  /** Cancels the timer; `onDue` is not called after it returns. */
  stop(): void;
}

/**
 * Starts a reaper with no checks.
 * @throws InvalidArgumentError (`minIntervalMs`) for a negative or non-finite interval.
 */
export function startCriticalReaper(options: CriticalReaperOptions): CriticalReaper {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options', 'must be an object');
  const clock = options.clock ?? systemClock;
  const minIntervalMs = options.minIntervalMs ?? REAP_MIN_INTERVAL_MS;
  if (!(Number.isFinite(minIntervalMs) && minIntervalMs >= 0)) {
    throw new InvalidArgumentError('minIntervalMs', `must be ≥ 0 ms, got ${describe(minIntervalMs)}`);
  }
  const tracker = new CriticalTracker();
  let armed: { at: number; handle: TimerHandle } | undefined;
  let lastReap = Number.NEGATIVE_INFINITY;
  let stopped = false;

  /** Arms the timer for `dueAt` unless it already fires sooner; never sooner than the spacing allows. */
  const armFor = (dueAt: number) => {
    const at = Math.max(dueAt, lastReap + minIntervalMs);
    if (armed && armed.at <= at) return;
    if (armed) clock.clearTimeout(armed.handle);
    armed = { at, handle: clock.setTimeout(reap, at - clock.now()) };
  };

  const reap = () => {
    armed = undefined;
    if (stopped) return;
    const now = clock.now();
    const due = tracker.due(now);
    if (due.length > 0) {
      lastReap = now;
      for (const id of due) tracker.forget(id);
      try {
        options.onDue(due);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
    // Forgotten or recovered checks leave a stale timer behind; it lands here and moves on.
    const next = tracker.nextDueAt();
    if (next !== undefined && !stopped) armFor(next);
  };

  return {
    observe(checkId, status, afterMs) {
      if (stopped) return;
      tracker.observe(checkId, status, clock.now(), afterMs);
      const since = tracker.criticalSince(checkId);
      if (since !== undefined && afterMs > 0) armFor(since + afterMs);
    },
    forget(checkId) {
      tracker.forget(checkId);
    },
    criticalSince(checkId) {
      return tracker.criticalSince(checkId);
    },
    stop() {
      stopped = true;
      if (armed) clock.clearTimeout(armed.handle);
      armed = undefined;
    },
  };
}
