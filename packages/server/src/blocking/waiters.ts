/**
 * Held blocking queries, grouped by the index keys they depend on. A commit wakes only the
 * waiters of the keys it touched (no polling, no wake-up by unrelated changes); each woken waiter
 * re-checks its own resource index. One small object per held query and no timer of its own:
 * every deadline sits in one min-heap behind a single timer (D166), so waking N queries touches
 * no timer at all, and a woken waiter is only flagged (the heap drops it lazily).
 */
import type { Clock, TimerHandle } from '@rosterjs/roster';
import type { IndexKey } from '../catalog/indexes.js';
import { MinHeap } from '../min-heap.js';

/** Why a held query was answered. */
export type WakeReason = 'changed' | 'timeout' | 'released' | 'cancelled';

/** What a held query does once it is answered: called exactly once, with the reason. */
export interface HoldTarget {
  settle(reason: WakeReason): void;
}

/** A held query: cancel it when the client went away. */
export interface Hold {
  readonly done: Promise<WakeReason>;
  /** Drops the waiter (client disconnected); `done` resolves with `cancelled`. Idempotent. */
  cancel(): void;
}

/** A held query with a target: cancel it when the client went away (idempotent). */
export interface HeldWaiter {
  cancel(): void;
}

class Waiter implements HeldWaiter {
  settled = false;
  constructor(
    readonly owner: Waiters,
    readonly keys: readonly IndexKey[],
    readonly minIndex: number,
    public current: (() => number) | undefined,
    public target: HoldTarget | undefined,
    readonly deadline: number,
  ) {}

  cancel(): void {
    this.owner.settleOne(this, 'cancelled');
  }
}

class PromiseTarget implements HoldTarget {
  resolve!: (reason: WakeReason) => void;
  readonly done = new Promise<WakeReason>((r) => {
    this.resolve = r;
  });
  settle(reason: WakeReason): void {
    this.resolve(reason);
  }
}

/** The set of held blocking queries of one server. */
export class Waiters {
  readonly #clock: Clock;
  readonly #byKey = new Map<IndexKey, Set<Waiter>>();
  #count = 0;
  /** Called with +n / -n as queries are held and answered (metrics). */
  readonly #onCount: ((delta: number) => void) | undefined;
  /** Deadlines: a binary min-heap; settled waiters stay until popped or compacted away. */
  readonly #heap = new MinHeap<Waiter>((a, b) => a.deadline < b.deadline);
  #timer: TimerHandle | undefined;
  /** The deadline the timer is armed for. */
  #armedFor = Number.POSITIVE_INFINITY;

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
    const target = new PromiseTarget();
    const waiter = this.holdFor(keys, minIndex, current, timeoutMs, target);
    return { done: target.done, cancel: () => waiter.cancel() };
  }

  /**
   * As {@link hold}, but `target.settle(reason)` is called (synchronously, in the loop that wakes
   * it) instead of a promise resolving: a woken query can be answered in the same loop as every
   * other query the change woke.
   */
  holdFor(keys: readonly IndexKey[], minIndex: number, current: () => number, timeoutMs: number, target: HoldTarget): HeldWaiter {
    const waiter = new Waiter(this, keys, minIndex, current, target, this.#clock.now() + Math.max(0, timeoutMs));
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
    this.#push(waiter);
    return waiter;
  }

  /** Wakes the waiters of the touched keys whose resource moved past their index. */
  wake(keys: Iterable<IndexKey>): void {
    let woken: Waiter[] | undefined;
    for (const key of keys) {
      const set = this.#byKey.get(key);
      if (!set) continue;
      for (const waiter of set) {
        if (waiter.current!() > waiter.minIndex) (woken ??= []).push(waiter);
      }
    }
    if (woken) this.#settleAll(woken, 'changed');
  }

  /** Answers every held query now (shutdown): each is answered with its current index. */
  releaseAll(): void {
    const all = new Set<Waiter>();
    for (const set of this.#byKey.values()) for (const w of set) all.add(w);
    this.#settleAll([...all], 'released');
  }

  /** Settles one waiter (cancel). */
  settleOne(waiter: Waiter, reason: WakeReason): void {
    if (waiter.settled) return;
    this.#detach(waiter);
    this.#onCount?.(-1);
    this.#finish(waiter, reason);
  }

  /** Settles many in one pass: bookkeeping first (one metrics update), then every target. */
  #settleAll(waiters: readonly Waiter[], reason: WakeReason): void {
    let n = 0;
    for (const w of waiters) {
      if (w.settled) continue;
      this.#detach(w);
      n++;
    }
    if (n === 0) return;
    this.#onCount?.(-n);
    for (const w of waiters) if (w.target) this.#finish(w, reason);
  }

  #detach(waiter: Waiter): void {
    waiter.settled = true;
    waiter.current = undefined;
    for (const key of waiter.keys) {
      const set = this.#byKey.get(key);
      if (!set) continue;
      set.delete(waiter);
      if (set.size === 0) this.#byKey.delete(key);
    }
    this.#count--;
  }

  #finish(waiter: Waiter, reason: WakeReason): void {
    const target = waiter.target;
    // The heap may keep the waiter until its deadline: it must not keep the connection.
    waiter.target = undefined;
    target?.settle(reason);
  }

  // --- the deadline heap ---

  #push(waiter: Waiter): void {
    const heap = this.#heap;
    // Woken waiters stay in the heap until their deadline: rebuild it when they are most of it.
    if (heap.size >= 1024 && heap.size > 2 * this.#count + 1024) heap.retain((w) => !w.settled);
    heap.push(waiter);
    if (waiter.deadline < this.#armedFor) this.#arm(waiter.deadline);
  }

  #arm(deadline: number): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#armedFor = deadline;
    this.#timer = this.#clock.setTimeout(() => this.#expire(), deadline - this.#clock.now());
  }

  #expire(): void {
    this.#timer = undefined;
    this.#armedFor = Number.POSITIVE_INFINITY;
    const now = this.#clock.now();
    const due: Waiter[] = [];
    const heap = this.#heap;
    while (heap.size > 0 && heap.peek()!.deadline <= now) {
      const w = heap.pop()!;
      if (!w.settled) due.push(w);
    }
    // Drop settled waiters at the top so the timer is armed for a live deadline.
    while (heap.size > 0 && heap.peek()!.settled) heap.pop();
    if (heap.size > 0) this.#arm(heap.peek()!.deadline);
    if (due.length > 0) this.#settleAll(due, 'timeout');
  }
}
