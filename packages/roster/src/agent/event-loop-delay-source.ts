/**
 * The default {@link LagSource}: Node's `perf_hooks.monitorEventLoopDelay`, a libuv timer that
 * records how late it fires. It runs outside JavaScript, so a stall is recorded even when no
 * JavaScript timer of ours could run during it; the watchdog reads and resets its maximum.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { LagSource } from './lag-watchdog.js';

/** Resolution of the delay monitor in ms (Node's default). */
export const EVENT_LOOP_DELAY_RESOLUTION_MS = 10;

/** Starts measuring the event loop's delay; `sample()` returns the largest delay since the previous call. */
export function eventLoopDelaySource(resolutionMs: number = EVENT_LOOP_DELAY_RESOLUTION_MS): LagSource {
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  histogram.enable();
  return {
    sample() {
      // An empty window (no timer fired yet) has max 0.
      const ms = histogram.max / 1e6;
      histogram.reset();
      return ms;
    },
    stop() {
      histogram.disable();
    },
  };
}
