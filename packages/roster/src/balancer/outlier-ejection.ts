/**
 * Outlier ejection (passive health, Envoy style): an instance whose calls keep failing is taken
 * out of the pool for a while, longer each time it happens again. This file holds the policy and
 * its per-instance arithmetic; the balancer applies it (timers, max ejection percent, pickers).
 */
import { MAX_TIMER_MS } from '../clock.js';
import type { CallOutcome } from './balancer.js';
import { durationOption, integerOption, numberOption, optionsBag } from './options.js';

/** Options of {@link outlierEjection}. Durations: milliseconds or Go strings (`"30s"`). */
export interface OutlierEjectionOptions {
  /** Failed calls in a row that eject an instance; 0 turns the rule off. Default 5. */
  readonly consecutiveFailures?: number;
  /**
   * Gateway errors in a row that eject an instance: failed calls answered 502, 503 or 504, or
   * without any response (refused, reset, timed out). 0 turns the rule off. Default 3.
   */
  readonly consecutiveGatewayErrors?: number;
  /** Ejection time of a first ejection; the n-th ejection lasts n times as long. Default 30 s. */
  readonly baseEjectionTime?: number | string;
  /** Upper bound of one ejection's time. Default 300 s (at least `baseEjectionTime`). */
  readonly maxEjectionTime?: number | string;
  /**
   * Most instances ejected at once, in percent of the instances that are not critical; at least
   * one may be ejected when the rule is on (> 0), and at least one instance always stays. Default 50.
   */
  readonly maxEjectionPercent?: number;
}

/** Ejection bookkeeping of one instance; created by {@link OutlierEjection.newState}, kept by the balancer. */
export interface OutlierState {
  /** Failed calls in a row. */
  consecutiveFailures: number;
  /** Gateway errors in a row. */
  consecutiveGatewayErrors: number;
  /** Ejection multiplier: ejections so far, less one per `baseEjectionTime` spent not ejected. */
  times: number;
  /** Clock time the current ejection ends; 0 when not ejected. */
  ejectedUntil: number;
  /** Clock time of the last unejection (for the multiplier's decay); 0 if never ejected. */
  unejectedAt: number;
}

/** True for the responses Envoy calls gateway failures. */
function isGatewayError(outcome: CallOutcome): boolean {
  const s = outcome.status;
  return s === undefined || s === 502 || s === 503 || s === 504;
}

/**
 * An outlier ejection policy: immutable, validated once; one may serve many balancers.
 * Created with {@link outlierEjection}.
 */
export class OutlierEjection {
  /** Failed calls in a row that eject (0: off). */
  readonly consecutiveFailures: number;
  /** Gateway errors in a row that eject (0: off). */
  readonly consecutiveGatewayErrors: number;
  /** Milliseconds of a first ejection. */
  readonly baseEjectionTimeMs: number;
  /** Upper bound of one ejection, milliseconds. */
  readonly maxEjectionTimeMs: number;
  /** Percent of non-critical instances that may be ejected at once. */
  readonly maxEjectionPercent: number;

  /** @throws InvalidArgumentError naming the bad option. */
  constructor(options?: OutlierEjectionOptions) {
    const o = optionsBag('outlierEjection', options, [
      'consecutiveFailures',
      'consecutiveGatewayErrors',
      'baseEjectionTime',
      'maxEjectionTime',
      'maxEjectionPercent',
    ]);
    this.consecutiveFailures = integerOption('outlierEjection.consecutiveFailures', o.consecutiveFailures, 5, 0, 1_000_000);
    this.consecutiveGatewayErrors = integerOption('outlierEjection.consecutiveGatewayErrors', o.consecutiveGatewayErrors, 3, 0, 1_000_000);
    this.baseEjectionTimeMs = durationOption('outlierEjection.baseEjectionTime', o.baseEjectionTime, 30_000, 1, MAX_TIMER_MS);
    this.maxEjectionTimeMs = Math.max(
      this.baseEjectionTimeMs,
      durationOption('outlierEjection.maxEjectionTime', o.maxEjectionTime, 300_000, 1, MAX_TIMER_MS),
    );
    this.maxEjectionPercent = numberOption('outlierEjection.maxEjectionPercent', o.maxEjectionPercent, 50, 0, 100);
  }

  /** A fresh state for a newly seen instance. */
  newState(): OutlierState {
    return { consecutiveFailures: 0, consecutiveGatewayErrors: 0, times: 0, ejectedUntil: 0, unejectedAt: 0 };
  }

  /**
   * Counts one call outcome of a non-ejected instance. A success resets both counts; a failure
   * that is not a gateway error resets the gateway count. Returns true when a threshold is
   * reached: the instance should be ejected (if the max ejection percent allows).
   */
  record(state: OutlierState, outcome: CallOutcome): boolean {
    if (outcome.ok) {
      state.consecutiveFailures = 0;
      state.consecutiveGatewayErrors = 0;
      return false;
    }
    state.consecutiveFailures++;
    state.consecutiveGatewayErrors = isGatewayError(outcome) ? state.consecutiveGatewayErrors + 1 : 0;
    return (
      (this.consecutiveFailures > 0 && state.consecutiveFailures >= this.consecutiveFailures) ||
      (this.consecutiveGatewayErrors > 0 && state.consecutiveGatewayErrors >= this.consecutiveGatewayErrors)
    );
  }

  /**
   * Ejects: bumps the multiplier (after letting it decay by one per `baseEjectionTime` spent not
   * ejected since the last unejection) and returns the clock time the ejection ends:
   * `now + min(baseEjectionTime × times, maxEjectionTime)`.
   */
  eject(state: OutlierState, now: number): number {
    if (state.times > 0) {
      const quiet = Math.floor(Math.max(0, now - state.unejectedAt) / this.baseEjectionTimeMs);
      state.times = Math.max(0, state.times - quiet);
    }
    state.times++;
    state.ejectedUntil = now + Math.min(this.baseEjectionTimeMs * state.times, this.maxEjectionTimeMs);
    return state.ejectedUntil;
  }

  /** Ends an ejection: the instance gets fresh counts (and keeps its multiplier). */
  uneject(state: OutlierState, now: number): void {
    state.ejectedUntil = 0;
    state.unejectedAt = now;
    state.consecutiveFailures = 0;
    state.consecutiveGatewayErrors = 0;
  }

  /**
   * How many of `candidates` non-critical instances may be ejected at once: the percent, but at
   * least one (when the percent is above 0) and never all of them.
   */
  maxEjected(candidates: number): number {
    if (this.maxEjectionPercent === 0 || candidates <= 1) return 0;
    return Math.min(candidates - 1, Math.max(1, Math.floor((candidates * this.maxEjectionPercent) / 100)));
  }
}

/**
 * Creates an outlier ejection policy for `createBalancer({ outlierEjection })`.
 * @throws InvalidArgumentError naming the bad option.
 */
export function outlierEjection(options?: OutlierEjectionOptions): OutlierEjection {
  return new OutlierEjection(options);
}
