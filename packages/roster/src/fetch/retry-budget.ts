/**
 * RetryBudget: how many retries a client may make, so that retries cannot multiply the load on
 * a failing service (Finagle's retry budget, Envoy's retry budgets). Every request deposits
 * `ratio` of a token, time deposits `perSecond` tokens per second, a retry spends one, and
 * tokens expire after `window`: over any window, retries ≤ ratio × requests + perSecond ×
 * window. Time runs on the injected clock, in ten slots per window.
 */
import type { Clock } from '../clock.js';
import * as v from '../internal/options.js';
import { preciseClock } from './precise-clock.js';

/** Options of {@link retryBudget}. Durations: milliseconds or Go strings (`"10s"`). */
export interface RetryBudgetOptions {
  /** Retries allowed per request, 0–10: 0.2 lets 20 % of the requests be retried. Default 0.2. */
  readonly ratio?: number;
  /**
   * Retries allowed per second on top of the ratio, so that a client with little traffic can
   * still retry; 0–1,000,000. Default 10.
   */
  readonly perSecond?: number;
  /** How long deposits last (the window both limits apply to), 1 s to 1 h. Default 10 s. */
  readonly window?: number | string;
  /** Time source. Default: the system clock. */
  readonly clock?: Clock;
}

const SLOTS = 10;

/**
 * A retry budget (create with {@link retryBudget}). Not thread-safe, like everything in Node;
 * one per service per client (`createFetch` keeps one per service).
 */
export class RetryBudget {
  /** Retries allowed per request. */
  readonly ratio: number;
  /** Retries allowed per second on top of the ratio. */
  readonly perSecond: number;
  /** Window of both limits, ms. */
  readonly windowMs: number;
  readonly #clock: Clock;
  readonly #slotMs: number;
  readonly #requests = new Float64Array(SLOTS);
  readonly #retries = new Float64Array(SLOTS);
  #slot: number;
  #requestsInWindow = 0;
  #retriesInWindow = 0;

  /**
   * Prefer {@link retryBudget} (options by name, durations as strings, defaults).
   * @throws InvalidArgumentError naming `ratio`, `perSecond`, `windowMs` or `clock` when out of
   *   range or of the wrong type (the ranges of {@link RetryBudgetOptions}).
   */
  constructor(ratio: number, perSecond: number, windowMs: number, clock: Clock) {
    v.number(0, 10)(ratio, 'ratio');
    v.number(0, 1_000_000)(perSecond, 'perSecond');
    v.number(1000, 3_600_000)(windowMs, 'windowMs');
    v.clock(clock, 'clock');
    this.ratio = ratio;
    this.perSecond = perSecond;
    this.windowMs = windowMs;
    this.#clock = clock;
    this.#slotMs = windowMs / SLOTS;
    this.#slot = Math.floor(clock.now() / this.#slotMs);
  }

  /** Counts a request (call it once per call, not per attempt: retries do not earn retries). */
  deposit(): void {
    this.#advance();
    this.#requests[this.#slot % SLOTS]! += 1;
    this.#requestsInWindow += 1;
  }

  /** Spends one token for a retry if there is one; false when the budget is exhausted. */
  tryWithdraw(): boolean {
    this.#advance();
    if (this.#available() < 1) return false;
    this.#retries[this.#slot % SLOTS]! += 1;
    this.#retriesInWindow += 1;
    return true;
  }

  /** Whole retries available now. */
  available(): number {
    this.#advance();
    return Math.max(0, Math.floor(this.#available() + 1e-9));
  }

  #available(): number {
    return this.ratio * this.#requestsInWindow + (this.perSecond * this.windowMs) / 1000 - this.#retriesInWindow;
  }

  /** Empties the slots that fell out of the window. A clock stepping back keeps the current slot. */
  #advance(): void {
    const slot = Math.floor(this.#clock.now() / this.#slotMs);
    if (slot <= this.#slot) return;
    const stale = Math.min(slot - this.#slot, SLOTS);
    for (let i = 1; i <= stale; i++) {
      const k = (this.#slot + i) % SLOTS;
      this.#requestsInWindow -= this.#requests[k]!;
      this.#retriesInWindow -= this.#retries[k]!;
      this.#requests[k] = 0;
      this.#retries[k] = 0;
    }
    this.#slot = slot;
  }
}

/**
 * Creates a retry budget: over any `window`, retries ≤ `ratio` × requests + `perSecond` ×
 * window (default 20 % of requests + 10 per second, over 10 s).
 * @throws InvalidArgumentError naming the bad option.
 */
export function retryBudget(options?: RetryBudgetOptions): RetryBudget {
  return budgetFrom(options, 'retryBudget');
}

/** {@link retryBudget} with errors named under `path` (`retry.budget.ratio`). Internal to fetch/. */
export function budgetFrom(options: RetryBudgetOptions | undefined, path: string): RetryBudget {
  const o = v.options(options, BUDGET_OPTIONS, path);
  return new RetryBudget(o.ratio, o.perSecond, o.window, o.clock);
}

const BUDGET_OPTIONS = {
  ratio: v.withDefault(v.number(0, 10), 0.2),
  perSecond: v.withDefault(v.number(0, 1_000_000), 10),
  window: v.withDefault(v.duration(1000, 3_600_000), 10_000),
  clock: v.withDefault(v.clock, preciseClock),
};
