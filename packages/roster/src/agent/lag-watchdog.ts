/**
 * The event-loop-lag watchdog. A process whose event loop is stalled (a long synchronous job,
 * GC pressure, CPU starvation) sends its TTL heartbeats late; past the TTL the registry drops
 * it without anyone being told why. The watchdog samples the loop's delay on a schedule and
 * turns a lag above a threshold into `warning` — which balancers weigh down and dashboards
 * show — and back into `passing` after a few calm samples (hysteresis against flapping).
 *
 * What it measures is a {@link LagSource}; the default is `eventLoopDelaySource()`
 * (perf_hooks), and tests inject a scripted source and drive the schedule with a FakeClock.
 */
import type { Clock, TimerHandle } from '../clock.js';

/** Where the watchdog reads the event loop's delay from. */
export interface LagSource {
  /** The largest event-loop delay in ms seen since the previous call (or since the source started); resets the window. */
  sample(): number;
  /** Stops measuring; called by the watchdog when it stops. */
  stop?(): void;
}

/** The watchdog's verdict: lag never makes an instance critical, only `warning`. */
export type LagStatus = 'passing' | 'warning';

/** Settings of {@link startLagWatchdog} (all required; `announce` fills the defaults). */
export interface LagWatchdogSettings {
  readonly clock: Clock;
  readonly source: LagSource;
  /** How often to sample, in ms. */
  readonly intervalMs: number;
  /** A sample above this many ms turns the status `warning`. */
  readonly thresholdMs: number;
  /** Consecutive samples at or below the threshold needed to turn `passing` again (≥ 1). */
  readonly recoverAfter: number;
  /** Told about each change of status with the sample that caused it. Must not throw. */
  onChange(status: LagStatus, lagMs: number): void;
}

/** A running watchdog. */
export interface LagWatchdog {
  /** The status now (`passing` until a sample exceeds the threshold). */
  readonly status: LagStatus;
  /** Stops sampling and the source. Idempotent; no `onChange` call happens afterwards. */
  stop(): void;
}

/** Starts sampling `settings.source` every `intervalMs` on `settings.clock`. */
export function startLagWatchdog(settings: LagWatchdogSettings): LagWatchdog {
  const { clock, source, intervalMs, thresholdMs, recoverAfter, onChange } = settings;
  let status: LagStatus = 'passing';
  let calm = 0;
  let timer: TimerHandle | undefined;
  let stopped = false;

  const tick = () => {
    timer = undefined;
    if (stopped) return;
    const lagMs = source.sample();
    if (lagMs > thresholdMs) {
      calm = 0;
      if (status === 'passing') {
        status = 'warning';
        onChange(status, lagMs);
      }
    } else if (status === 'warning' && ++calm >= recoverAfter) {
      status = 'passing';
      calm = 0;
      onChange(status, lagMs);
    }
    if (!stopped) timer = clock.setTimeout(tick, intervalMs);
  };
  timer = clock.setTimeout(tick, intervalMs);

  return {
    get status() {
      return status;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      source.stop?.();
    },
  };
}
