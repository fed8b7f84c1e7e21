/**
 * Per-client request rate: one token bucket per client key (a token's accessor, or the client's
 * address), refilled continuously at `perSecond` up to `burst`. Time comes from the injected
 * clock. Memory is bounded: a bucket that has refilled to full is the same as no bucket, so
 * full buckets are dropped whenever the table passes its size limit (and then, if every bucket
 * is still draining, the oldest are dropped: such a client starts again from a full bucket).
 */
import type { Clock } from '@rosterjs/roster';

/** The rate settings. */
export interface RateLimit {
  /** Requests per second each client may make, sustained. */
  readonly perSecond: number;
  /** Requests a client may make at once after being idle (the bucket's size). */
  readonly burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Most clients tracked at once before full buckets are swept. */
export const RATE_LIMIT_MAX_CLIENTS = 65_536;

/** Token buckets per client key. */
export class RateLimiter {
  readonly #limit: RateLimit;
  readonly #clock: Clock;
  readonly #maxClients: number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(limit: RateLimit, clock: Clock, maxClients = RATE_LIMIT_MAX_CLIENTS) {
    this.#limit = limit;
    this.#clock = clock;
    this.#maxClients = maxClients;
  }

  /** The settings in force. */
  get limit(): RateLimit {
    return this.#limit;
  }

  /** Clients tracked now. */
  get size(): number {
    return this.#buckets.size;
  }

  /**
   * Takes one request from `key`'s bucket.
   * @returns 0 when the request may run; otherwise the milliseconds until one more is allowed.
   */
  take(key: string): number {
    const now = this.#clock.now();
    const { perSecond, burst } = this.#limit;
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      if (this.#buckets.size >= this.#maxClients) this.#sweep(now);
      bucket = { tokens: burst, at: now };
      this.#buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) * perSecond) / 1000);
      bucket.at = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - bucket.tokens) * 1000) / perSecond);
  }

  #sweep(now: number): void {
    const { perSecond, burst } = this.#limit;
    for (const [key, b] of this.#buckets) if (b.tokens + ((now - b.at) * perSecond) / 1000 >= burst) this.#buckets.delete(key);
    // Still full of draining clients: forget the oldest half (Map keeps insertion order).
    if (this.#buckets.size >= this.#maxClients) {
      let drop = Math.ceil(this.#buckets.size / 2);
      for (const key of this.#buckets.keys()) {
        if (drop-- <= 0) break;
        this.#buckets.delete(key);
      }
    }
  }
}
