/**
 * Queries per second per client address: a token bucket per address (burst = the rate). The
 * table of addresses is bounded: when full, the least recently seen address is forgotten (it
 * starts again with a full bucket, which is the most an attacker gains by flooding the table).
 */
import type { Clock } from '@rosterjs/roster';

/** Default number of client addresses tracked at once. */
export const DEFAULT_TRACKED_ADDRESSES = 10_000;

interface Bucket {
  tokens: number;
  at: number;
}

/** Per-address token buckets. */
export class RateLimiter {
  readonly #rate: number;
  readonly #clock: Clock;
  readonly #max: number;
  readonly #buckets = new Map<string, Bucket>();

  /**
   * @param rate queries per second per address; 0 = unlimited.
   * @param maxAddresses addresses tracked at once.
   */
  constructor(rate: number, clock: Clock, maxAddresses = DEFAULT_TRACKED_ADDRESSES) {
    this.#rate = rate;
    this.#clock = clock;
    this.#max = maxAddresses;
  }

  /** Takes one token for `address`; false when its bucket is empty (drop the query). */
  take(address: string): boolean {
    if (this.#rate === 0) return true;
    const now = this.#clock.now();
    let bucket = this.#buckets.get(address);
    if (bucket === undefined) {
      if (this.#buckets.size >= this.#max) this.#buckets.delete(this.#buckets.keys().next().value!);
      bucket = { tokens: this.#rate, at: now };
    } else {
      this.#buckets.delete(address);
      bucket.tokens = Math.min(this.#rate, bucket.tokens + ((now - bucket.at) / 1000) * this.#rate);
      bucket.at = now;
    }
    // Re-inserted: the Map's order is the order of last use.
    this.#buckets.set(address, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Addresses tracked now. */
  get size(): number {
    return this.#buckets.size;
  }
}
