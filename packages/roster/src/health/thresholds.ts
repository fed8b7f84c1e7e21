/**
 * Consecutive-result thresholds against flapping (Consul's `SuccessBeforePassing`,
 * `FailuresBeforeWarning`, `FailuresBeforeCritical`). Pure: no time, no I/O.
 */
import { InvalidArgumentError } from '../errors.js';
import { describe } from '../internal/options.js';
import type { HealthStatus } from '../model.js';

/** Threshold settings, as in a `NormalizedCheckBase`. 0 and 1 both mean "at once". */
export interface ThresholdOptions {
  /** Consecutive passing results needed before the status turns passing. */
  readonly successBeforePassing: number;
  /** Consecutive critical results needed before the status turns warning (≤ failuresBeforeCritical). */
  readonly failuresBeforeWarning: number;
  /** Consecutive critical results needed before the status turns critical. */
  readonly failuresBeforeCritical: number;
}

/**
 * Turns raw probe results into the effective status of a check.
 *
 * - `passing` result: counts a success and resets the failure count; the status turns passing
 *   once `successBeforePassing` passing results came in a row, otherwise it stays as it was.
 * - `critical` result: counts a failure and resets the success count; the status turns critical
 *   after `failuresBeforeCritical` failures in a row, else warning after `failuresBeforeWarning`,
 *   else it stays as it was.
 * - `warning` result: taken as-is (the status turns warning at once) and resets both counts: it
 *   is neither a success on the way to passing nor a failure on the way to critical.
 *   (Consul counts a warning as a success that must clear `SuccessBeforePassing`; we show the
 *   probe's own verdict instead, because a service answering 429 says so itself.)
 *
 * Used by one check runner; not shared between checks.
 */
export class Thresholds {
  readonly #opts: ThresholdOptions;
  #status: HealthStatus;
  #successes = 0;
  #failures = 0;

  /**
   * @param opts thresholds, each an integer ≥ 0
   * @param initial the status before the first result (a new check: `critical` unless given)
   * @throws InvalidArgumentError when a threshold is not a non-negative integer or
   *   `failuresBeforeWarning` exceeds `failuresBeforeCritical`.
   */
  constructor(opts: ThresholdOptions, initial: HealthStatus) {
    if (typeof opts !== 'object' || opts === null) throw new InvalidArgumentError('options', 'must be an object of thresholds');
    for (const key of ['successBeforePassing', 'failuresBeforeWarning', 'failuresBeforeCritical'] as const) {
      const value = opts[key];
      if (!Number.isSafeInteger(value) || value < 0) throw new InvalidArgumentError(key, `must be an integer ≥ 0, got ${describe(value)}`);
    }
    if (opts.failuresBeforeWarning > opts.failuresBeforeCritical) {
      throw new InvalidArgumentError(
        'failuresBeforeWarning',
        `must not exceed failuresBeforeCritical (${String(opts.failuresBeforeCritical)})`,
      );
    }
    this.#opts = { ...opts };
    this.#status = initial;
  }

  /** The effective status after the results observed so far. */
  get status(): HealthStatus {
    return this.#status;
  }

  /** Records one raw result and returns the effective status after it. */
  observe(raw: HealthStatus): HealthStatus {
    switch (raw) {
      case 'passing':
        this.#failures = 0;
        // Capped at the threshold: the count only matters up to it, and never overflows.
        this.#successes = Math.min(this.#successes + 1, this.#opts.successBeforePassing);
        if (this.#successes >= this.#opts.successBeforePassing) this.#status = 'passing';
        break;
      case 'critical':
        this.#successes = 0;
        this.#failures = Math.min(this.#failures + 1, this.#opts.failuresBeforeCritical);
        if (this.#failures >= this.#opts.failuresBeforeCritical) this.#status = 'critical';
        else if (this.#failures >= this.#opts.failuresBeforeWarning) this.#status = 'warning';
        break;
      case 'warning':
        this.#successes = 0;
        this.#failures = 0;
        this.#status = 'warning';
        break;
    }
    return this.#status;
  }
}
