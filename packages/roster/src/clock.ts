/**
 * Time as a dependency. Everything in roster that waits, expires or measures takes a Clock,
 * so tests can drive it with {@link FakeClock} from `roster/testing` instead of sleeping.
 */
import { InvalidArgumentError } from './errors.js';

/** Opaque handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = { readonly __timer: unique symbol } | object;

/** A source of time and timers. */
export interface Clock {
  /**
   * Milliseconds since the epoch. `systemClock`: the wall clock when the process started plus the
   * monotonic time since (whole milliseconds), so that a step of the wall clock (NTP, a VM
   * resumed, `date -s`) moves no deadline: timers are monotonic too (D193).
   */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds (clamped to [0, 2^31-1]). */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timer; unknown or fired handles are ignored. */
  clearTimeout(handle: TimerHandle): void;
}

/** The largest delay Node's timers accept (about 24.8 days); larger values would fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;

/** The wall-clock time (ms) at which `performance.now()` read 0: the process's start. */
const MONOTONIC_ORIGIN = performance.timeOrigin;

/**
 * The real clock. `now()` never jumps with the wall clock (see {@link Clock.now}); its timers are
 * unref'd: a pending heartbeat never keeps a process alive.
 */
export const systemClock: Clock = {
  now: () => Math.floor(MONOTONIC_ORIGIN + performance.now()),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, Math.min(Math.max(0, ms), MAX_TIMER_MS));
    t.unref();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

/**
 * Resolves after `ms` on `clock`, or rejects with the signal's reason when it aborts.
 * Rejects with InvalidArgumentError naming `clock`, `ms` (0 … 2³¹−1) or `signal` when bad.
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  // Checked before anything is scheduled: a bad argument is a rejected InvalidArgumentError.
  const c = clock as Partial<Clock> | null | undefined;
  if (typeof c !== 'object' || c === null || typeof c.setTimeout !== 'function' || typeof c.clearTimeout !== 'function') {
    return Promise.reject(new InvalidArgumentError('clock', 'must be a Clock ({ now, setTimeout, clearTimeout })'));
  }
  if (typeof ms !== 'number' || !(ms >= 0 && ms <= MAX_TIMER_MS)) {
    return Promise.reject(new InvalidArgumentError('ms', `must be a number of milliseconds from 0 to ${MAX_TIMER_MS}`));
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    return Promise.reject(new InvalidArgumentError('signal', 'must be an AbortSignal'));
  }
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clock.clearTimeout(handle);
      reject(signal?.reason);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
