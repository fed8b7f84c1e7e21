/**
 * Held blocking queries, grouped by the index keys they depend on. A commit wakes only the
 * waiters of the keys it touched (no polling, no wake-up by unrelated changes); each woken waiter
 * re-checks its own resource index. One small object and one timer per held query.
 */
import type { Clock, TimerHandle } from '@rosterjs/roster';
import type { IndexKey } from '../catalog/indexes.js';

/** Why a held query was answered. */
export type WakeReason = 'changed' | 'timeout' | 'released' | 'cancelled';

/** A held query: cancel it when the client went away. */
export interface Hold {
  readonly done: Promise<WakeReason>;
  /** Drops the waiter (client disconnected); `done` resolves with `cancelled`. Idempotent. */
  cancel(): void;
}

interface Waiter {
  readonly keys: readonly IndexKey[];
  readonly minIndex: number;
  readonly current: () => number;
  readonly resolve: (reason: WakeReason) => void;
  timer: TimerHandle | undefined;
  settled: boolean;
}

/** The set of held blocking queries of one server. */
export class Waiters {
  readonly #clock: Clock;
  readonly #byKey = new Map<IndexKey, Set<Waiter>>();
  #count = 0;
  /** Called with +1 / -1 as queries are held and answered (metrics). */
  readonly #onCount: ((delta: number) => void) | undefined;

  constructor(clock: Clock, onCount?: (delta: number) => void) {
    this.#clock = clock;
    this.#onCount = onCount;
  }

  /** Number of held queries. */
  get size(): number {
    return this.#count;
  }

  /**
   * Holds until `current()` > `minIndex` after a change of one of `keys`, or `timeoutMs` passes.
   * The caller checks beforehand that the resource has not already moved past `minIndex`.
   */
  hold(keys: readonly IndexKey[], minIndex: number, current: () => number, timeoutMs: number): Hold {
    let resolve!: (reason: WakeReason) => void;
    const done = new Promise<WakeReason>((r) => {
      resolve = r;
    });
    const waiter: Waiter = { keys, minIndex, current, resolve, timer: undefined, settled: false };
    for (const key of keys) {
      let set = this.#byKey.get(key);
      if (!set) {
        set = new Set();
        this.#byKey.set(key, set);
      }
      set.add(waiter);
    }
    this.#count++;
    this.#onCount?.(1);
    waiter.timer = this.#clock.setTimeout(() => {
      waiter.timer = undefined;
      this.#settle(waiter, 'timeout');
    }, timeoutMs);
    return { done, cancel: () => this.#settle(waiter, 'cancelled') };
  }

  /** Wakes the waiters of the touched keys whose resource moved past their index. */
  wake(keys: Iterable<IndexKey>): void {
    for (const key of keys) {
      const set = this.#byKey.get(key);
      if (!set) continue;
      for (const waiter of [...set]) {
        if (waiter.current() > waiter.minIndex) this.#settle(waiter, 'changed');
      }
    }
  }

  /** Answers every held query now (shutdown): each is answered with its current index. */
  releaseAll(): void {
    const all = new Set<Waiter>();
    for (const set of this.#byKey.values()) for (const w of set) all.add(w);
    for (const w of all) this.#settle(w, 'released');
  }

  #settle(waiter: Waiter, reason: WakeReason): void {
    if (waiter.settled) return;
    waiter.settled = true;
    if (waiter.timer !== undefined) this.#clock.clearTimeout(waiter.timer);
    for (const key of waiter.keys) {
      const set = this.#byKey.get(key);
      set?.delete(waiter);
      if (set?.size === 0) this.#byKey.delete(key);
    }
    this.#count--;
    this.#onCount?.(-1);
    waiter.resolve(reason);
  }
}
