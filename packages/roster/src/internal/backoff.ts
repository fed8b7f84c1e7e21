/**
 * Exponential backoff with full jitter: attempt n waits a random time in [0, min(max, base·2^n)].
 * Randomness is injected so tests get exact delay tables.
 */

/**
 * The one shape of a `backoff` option (decisions D45): durations in ms or Go strings; a missing
 * field keeps its default (a missing `maxMs` is never below `baseMs`).
 */
export interface BackoffOptions {
  /** First ceiling (attempt 0). */
  readonly baseMs?: number | string;
  /** Largest ceiling. */
  readonly maxMs?: number | string;
}

/** Validated backoff: parameters of {@link backoffDelay}, in ms. */
export interface BackoffSettings {
  /** First ceiling (attempt 0), ms. */
  readonly baseMs: number;
  /** Largest ceiling, ms. */
  readonly maxMs: number;
}

/** Delay before retry number `attempt` (0-based), given a random number in [0, 1). */
export function backoffDelay(attempt: number, options: BackoffSettings, random: () => number): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt, 30));
  // An injected random outside [0, 1) (or NaN) must not turn the wait into 0 ms or days.
  const r = random();
  return Math.floor((typeof r === 'number' && r >= 0 && r < 1 ? r : 0.5) * ceiling);
}
