/**
 * The TTL deadlines of every TTL check the server runs, on one clock timer (D190). A check is one
 * small {@link TtlDeadline} in the bucket of its deadline's millisecond; the timer is armed for
 * the earliest bucket. A renewal only moves the check's deadline: its bucket is left as it is,
 * and when that bucket falls due a check whose deadline moved is put in the bucket of its new
 * deadline — so heartbeats never touch a timer or a bucket, and a check expires at its deadline,
 * not before, as with a timer of its own (`startTtlTimer`, which this replaces in the server: a
 * Node timer, its closures and handle per check cost ~1.2 KB and ~6 µs of server CPU per
 * registration at 64 clients, mostly in the garbage collector).
 */
import type { Clock, TimerHandle } from '@rosterjs/roster';
import { MinHeap } from '../min-heap.js';

/** The deadline of one TTL check (see {@link TtlDeadlines.start}). */
export class TtlDeadline {
  readonly id: string;
  readonly ttlMs: number;
  /** When the check turns critical unless renewed (epoch ms). */
  deadline: number;
  /** The bucket (deadline millisecond) it is in, or -1: expired, or stopped. */
  key = -1;
  /** Its place in that bucket. */
  slot = 0;
  stopped = false;
  readonly #owner: TtlDeadlines;

  constructor(owner: TtlDeadlines, id: string, ttlMs: number, deadline: number) {
    this.#owner = owner;
    this.id = id;
    this.ttlMs = ttlMs;
    this.deadline = deadline;
  }

  /** True once it expired (until the next renewal). */
  get expired(): boolean {
    return this.key === -1 && !this.stopped;
  }

  /** Moves the deadline to now + TTL (after a pass/warn/fail/update); an expired check is armed again. */
  renew(): void {
    this.#owner.renew(this);
  }

  /** Forgets the check: it never expires. Idempotent. */
  stop(): void {
    this.#owner.stop(this);
  }
}

/** Options of {@link TtlDeadlines}. */
export interface TtlDeadlinesOptions {
  readonly clock: Clock;
  /** Called once per expiry, from the timer, with the checks whose deadline passed (a throw is isolated per check). */
  readonly onExpire: (deadline: TtlDeadline) => void;
  /** Reports a throw of onExpire. */
  readonly onError?: (error: unknown) => void;
}

/** Every TTL deadline of a server, on one timer. */
export class TtlDeadlines {
  readonly #clock: Clock;
  readonly #onExpire: (deadline: TtlDeadline) => void;
  readonly #onError: ((error: unknown) => void) | undefined;
  /** Deadline millisecond → the checks in its bucket. */
  readonly #buckets = new Map<number, TtlDeadline[]>();
  /** Bucket keys, earliest first (a key whose bucket emptied stays until popped or compacted). */
  readonly #heap = new MinHeap<number>((a, b) => a < b);
  #timer: TimerHandle | undefined;
  /** The key the timer is armed for. */
  #armedFor = Number.POSITIVE_INFINITY;
  #closed = false;

  constructor(options: TtlDeadlinesOptions) {
    this.#clock = options.clock;
    this.#onExpire = options.onExpire;
    this.#onError = options.onError;
  }

  /** Starts the deadline of check `id`: now + TTL + grace (the grace after a restart). */
  start(id: string, ttlMs: number, graceMs = 0): TtlDeadline {
    const entry = new TtlDeadline(this, id, ttlMs, this.#clock.now() + ttlMs + graceMs);
    if (!this.#closed) this.#insert(entry);
    return entry;
  }

  /** See {@link TtlDeadline.renew}. */
  renew(entry: TtlDeadline): void {
    if (entry.stopped || this.#closed) return;
    entry.deadline = this.#clock.now() + entry.ttlMs;
    // Still in a bucket: it is moved when that bucket falls due.
    if (entry.key === -1) this.#insert(entry);
  }

  /** See {@link TtlDeadline.stop}. */
  stop(entry: TtlDeadline): void {
    if (entry.stopped) return;
    entry.stopped = true;
    if (entry.key !== -1) this.#remove(entry);
  }

  /** Checks with a deadline to come (not expired, not stopped); counted on demand (tests, tools). */
  get size(): number {
    let n = 0;
    for (const bucket of this.#buckets.values()) n += bucket.length;
    return n;
  }

  /** Keys in the heap (tests: stays within a bound of the buckets held). */
  get heapSize(): number {
    return this.#heap.size;
  }

  /** Cancels the timer; nothing expires after it returns. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #insert(entry: TtlDeadline): void {
    const key = Math.ceil(entry.deadline);
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      bucket = [];
      this.#push(key);
      this.#buckets.set(key, bucket);
    }
    entry.key = key;
    entry.slot = bucket.length;
    bucket.push(entry);
    if (key < this.#armedFor) this.#arm(key);
  }

  #remove(entry: TtlDeadline): void {
    const bucket = this.#buckets.get(entry.key)!;
    const last = bucket.pop()!;
    if (last !== entry) {
      bucket[entry.slot] = last;
      last.slot = entry.slot;
    }
    if (bucket.length === 0) this.#buckets.delete(entry.key);
    entry.key = -1;
  }

  #arm(key: number): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#armedFor = key;
    this.#timer = this.#clock.setTimeout(() => this.#fire(), key - this.#clock.now());
  }

  #fire(): void {
    this.#timer = undefined;
    // Nothing is armed while buckets are moved: the timer is set once, for the earliest left.
    this.#armedFor = Number.NEGATIVE_INFINITY;
    if (this.#closed) return;
    const now = this.#clock.now();
    const due: TtlDeadline[] = [];
    const heap = this.#heap;
    while (heap.size > 0 && heap.peek()! <= now) {
      const key = heap.pop()!;
      const bucket = this.#buckets.get(key);
      if (bucket === undefined) continue;
      this.#buckets.delete(key);
      for (const entry of bucket) {
        entry.key = -1;
        // Renewed since it was put in this bucket: into the bucket of its new deadline.
        if (entry.deadline > now) this.#insert(entry);
        else due.push(entry);
      }
    }
    this.#armedFor = Number.POSITIVE_INFINITY;
    if (heap.size > 0) this.#arm(heap.peek()!);
    for (const entry of due) {
      // An earlier expiry in this round may have stopped it (its instance deregistered) or renewed it.
      if (entry.stopped || entry.key !== -1) continue;
      try {
        this.#onExpire(entry);
      } catch (error) {
        this.#onError?.(error);
      }
    }
  }

  #push(key: number): void {
    const heap = this.#heap;
    // Keys of emptied buckets stay in the heap until they fall due: rebuild it when they are most of it.
    if (heap.size > 64 && heap.size > 2 * this.#buckets.size) heap.reset([...this.#buckets.keys()]);
    heap.push(key);
  }
}
