/**
 * Slow start (Envoy style): an instance that joins the pool (added, or back from critical) gets a
 * reduced weight that ramps up to its full weight over a window, so a cold instance (empty
 * caches, JIT not warm) is not flooded at once. Weighted strategies honour it (weightedRandom,
 * smoothWeightedRoundRobin, leastRequest, peakEwma); unweighted ones (roundRobin, random,
 * consistentHash) ignore weights and so slow start too.
 */
import { MAX_TIMER_MS } from '../clock.js';
import { InvalidArgumentError } from '../errors.js';
import { durationOption, numberOption, optionsBag } from './options.js';

/** Options of {@link slowStart}. */
export interface SlowStartOptions {
  /** How long the ramp lasts: milliseconds or a Go string (`"30s"`). Required, > 0. */
  readonly window: number | string;
  /** Weight at the start of the ramp, in percent of the full weight, 1–100. Default 10. */
  readonly minWeightPercent?: number;
  /**
   * Shape of the ramp: the weight fraction is `(age / window) ^ (1 / aggression)`. 1 is linear;
   * above 1 ramps faster at first. 0.1–10, default 1.
   */
  readonly aggression?: number;
}

/** How many weight steps a ramp has: the balancer rebuilds its picker at each step. */
const STEPS = 10;

/** A slow start policy: immutable, validated once. Created with {@link slowStart}. */
export class SlowStart {
  /** Ramp length, milliseconds. */
  readonly windowMs: number;
  /** Starting weight fraction, 0.01–1. */
  readonly minWeight: number;
  /** Exponent reciprocal of the ramp. */
  readonly aggression: number;
  /** Time between two weight steps (the balancer's rebuild period during a ramp), milliseconds. */
  readonly stepMs: number;

  /** @throws InvalidArgumentError naming the bad option. */
  constructor(options: SlowStartOptions) {
    const o = optionsBag('slowStart', options, ['window', 'minWeightPercent', 'aggression']);
    if (o.window === undefined) throw new InvalidArgumentError('slowStart.window', 'is required');
    this.windowMs = durationOption('slowStart.window', o.window, 0, 1, MAX_TIMER_MS);
    this.minWeight = numberOption('slowStart.minWeightPercent', o.minWeightPercent, 10, 1, 100) / 100;
    this.aggression = numberOption('slowStart.aggression', o.aggression, 1, 0.1, 10);
    this.stepMs = this.windowMs / STEPS;
  }

  /** Weight factor in [minWeight, 1] for an instance that joined `ageMs` ago. */
  factor(ageMs: number): number {
    if (ageMs >= this.windowMs) return 1;
    const ramp = ageMs <= 0 ? 0 : (ageMs / this.windowMs) ** (1 / this.aggression);
    return Math.max(this.minWeight, ramp);
  }
}

/**
 * Creates a slow start policy for `createBalancer({ slowStart })`.
 * @throws InvalidArgumentError naming the bad option.
 */
export function slowStart(options: SlowStartOptions): SlowStart {
  return new SlowStart(options);
}
