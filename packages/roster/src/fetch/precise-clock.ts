/**
 * The default clock of the fetch middlewares: the system clock's timers with a sub-millisecond
 * `now()`. Call latencies on a LAN or loopback are well below a millisecond; `Date.now()`
 * would report most of them as 0 or 1 and leave latency-aware balancing (peak EWMA) blind.
 */
import { type Clock, systemClock } from '../clock.js';

const origin = performance.timeOrigin;

/** Epoch milliseconds with a fractional part (monotonic within a process); unref'd timers. */
export const preciseClock: Clock = {
  now: () => origin + performance.now(),
  setTimeout: systemClock.setTimeout,
  clearTimeout: systemClock.clearTimeout,
};
