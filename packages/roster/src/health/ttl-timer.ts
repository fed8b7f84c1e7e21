/**
 * The deadline of a TTL check: critical unless renewed within the TTL. Renewals are the hot
 * path of a registry (one per instance every few seconds), so a renewal only moves a number;
 * the one timer re-arms itself lazily when it fires before the current deadline.
 */
import { type Clock, MAX_TIMER_MS, systemClock, type TimerHandle } from '../clock.js';
import { describe } from '../internal/options.js';
import { InvalidArgumentError } from '../errors.js';

/** A running TTL deadline. */
export interface TtlTimer {
  /**
   * Moves the deadline to `now + ttl`; after an expiry, arms the timer again. O(1), no timer
   * churn: call it on every heartbeat. Ignored after `stop()`.
   */
  renew(): void;
  /** Cancels the timer; `onExpire` is not called after it returns. Idempotent. */
  stop(): void;
  /** Clock time (ms) at which the TTL runs out if not renewed before. */
  readonly deadline: number;
  /** True after `onExpire` was called and no `renew()` came since. */
  readonly expired: boolean;
}

/** Options of {@link startTtlTimer}. */
export interface TtlTimerOptions {
  /** Time to live after each renewal, ms (> 0). */
  readonly ttlMs: number;
  /** Time source; default the system clock. */
  readonly clock?: Clock;
  /**
   * Extra time before the first deadline only (`now + ttl + grace`), e.g. after a server restart
   * so instances have time to renew before flipping critical. Default 0.
   */
  readonly graceMs?: number;
  /**
   * Called once per expiry, when the clock reaches the deadline without a renewal (the check
   * turns critical with output `TTL expired`). Called from a timer; it must not throw (an
   * exception is rethrown asynchronously as an uncaught exception).
   */
  onExpire(): void;
}

/**
 * Starts a TTL deadline at `now + ttl + grace`.
 *
 * @throws InvalidArgumentError naming `ttlMs` or `graceMs` when out of range.
 */
export function startTtlTimer(options: TtlTimerOptions): TtlTimer {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options', 'must be an object');
  const { ttlMs, onExpire } = options;
  const graceMs = options.graceMs ?? 0;
  const clock = options.clock ?? systemClock;
  if (!(Number.isFinite(ttlMs) && ttlMs > 0 && ttlMs <= MAX_TIMER_MS)) {
    throw new InvalidArgumentError('ttlMs', `must be > 0 and ≤ ${MAX_TIMER_MS} ms, got ${describe(ttlMs)}`);
  }
  if (!(Number.isFinite(graceMs) && graceMs >= 0)) throw new InvalidArgumentError('graceMs', `must be ≥ 0 ms, got ${describe(graceMs)}`);

  let deadline = clock.now() + ttlMs + graceMs;
  let timer: TimerHandle | undefined;
  let expired = false;
  let stopped = false;

  const arm = () => {
    timer = clock.setTimeout(fire, deadline - clock.now());
  };
  const fire = () => {
    timer = undefined;
    if (stopped) return;
    // Renewed since the timer was set (or the timer came early): wait for the rest.
    if (clock.now() < deadline) {
      arm();
      return;
    }
    expired = true;
    try {
      onExpire();
    } catch (error) {
      queueMicrotask(() => {
        throw error;
      });
    }
  };
  arm();

  return {
    renew() {
      if (stopped) return;
      deadline = clock.now() + ttlMs;
      expired = false;
      if (timer === undefined) arm();
    },
    stop() {
      stopped = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
    },
    get deadline() {
      return deadline;
    },
    get expired() {
      return expired;
    },
  };
}

/**
 * The output of a TTL check when it expires, in Consul's words: `TTL expired`, or with the last
 * output it had: `TTL expired (last output before timeout follows): <output>`.
 */
export function ttlExpiredOutput(lastOutput = ''): string {
  if (typeof lastOutput !== 'string') throw new InvalidArgumentError('lastOutput', 'must be a string');
  return lastOutput === '' ? 'TTL expired' : `TTL expired (last output before timeout follows): ${lastOutput}`;
}
