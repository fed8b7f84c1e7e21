/**
 * The default {@link LagSource}: a drift timer. An unref'd interval of `resolutionMs` notes how
 * much later than due each tick runs; a stalled loop makes the next tick late by the stall.
 * `sample()` also counts the gap since the last tick, so a stall that has just ended is seen
 * even when the watchdog's own timer runs before the interval's.
 *
 * (perf_hooks `monitorEventLoopDelay` was the first choice, but on Node 20 its maximum did not
 * show a 250 ms synchronous stall — it reported ~14 ms — so it cannot tell a stalled loop.)
 */
import { performance } from 'node:perf_hooks';
import type { LagSource } from './lag-watchdog.js';

/** Tick of the drift timer in ms: the smallest lag it can tell apart from timer jitter. */
export const EVENT_LOOP_DELAY_RESOLUTION_MS = 50;

/** Starts measuring the event loop's delay; `sample()` returns the largest delay (ms) since the previous call. */
export function eventLoopDelaySource(resolutionMs: number = EVENT_LOOP_DELAY_RESOLUTION_MS): LagSource {
  let last = performance.now();
  let max = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    max = Math.max(max, now - last - resolutionMs);
    last = now;
  }, resolutionMs);
  timer.unref();
  return {
    sample() {
      const now = performance.now();
      const lag = Math.max(0, max, now - last - resolutionMs);
      // What was counted now is not counted again by the next tick.
      max = 0;
      last = now;
      return lag;
    },
    stop() {
      clearInterval(timer);
    },
  };
}
