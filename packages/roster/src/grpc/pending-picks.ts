/**
 * PendingPicks: calls picked but not started yet. grpc-js starts a call a few microtasks after
 * the pick (after the call credentials), and the Balancer counts a call in flight only from
 * `start`; without this, picks made in the same tick would not see each other and could all go
 * to the same instance. A strategy wrapped by {@link withPendingPicks} sees `inflight` plus the
 * instance's pending picks. A pending pick ends when its call starts, or at the next macrotask
 * at the latest (a pick grpc-js abandons — re-picked because the connection went away, or a call
 * cancelled before it started — is never left counted).
 */
import type { InstanceLoad, PickerInput, Strategy } from '../balancer/balancer.js';

interface Counter {
  n: number;
}

/** One pick, until its call starts or the batch is flushed. */
export interface PendingPick {
  readonly counter: Counter;
  live: boolean;
}

/** The pending picks of one LB policy instance, by instance id. */
export class PendingPicks {
  readonly #counters = new Map<string, Counter>();
  #batch: PendingPick[] = [];
  #scheduled = false;

  /** The live counter of `id` (created on first use). */
  counter(id: string): Counter {
    let c = this.#counters.get(id);
    if (c === undefined) {
      c = { n: 0 };
      this.#counters.set(id, c);
    }
    return c;
  }

  /** Counts a pick of `id` until {@link started} or the next macrotask. */
  add(id: string): PendingPick {
    const pick: PendingPick = { counter: this.counter(id), live: true };
    pick.counter.n++;
    this.#batch.push(pick);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flush);
    }
    return pick;
  }

  /** The pick's call started (the Balancer counts it from now on). */
  started(pick: PendingPick): void {
    if (!pick.live) return;
    pick.live = false;
    pick.counter.n--;
  }

  readonly #flush = (): void => {
    this.#scheduled = false;
    const batch = this.#batch;
    this.#batch = [];
    for (const pick of batch) this.started(pick);
  };
}

/** A load as the picker sees it: the Balancer's, plus the pending picks. Read-only. */
function pendingView(load: InstanceLoad, counter: Counter): InstanceLoad {
  return {
    get inflight() {
      return load.inflight + counter.n;
    },
    set inflight(_value: number) {
      throw new Error('read-only');
    },
    get latencyMs() {
      return load.latencyMs;
    },
    set latencyMs(_value: number) {
      throw new Error('read-only');
    },
    get latencyAt() {
      return load.latencyAt;
    },
    set latencyAt(_value: number) {
      throw new Error('read-only');
    },
  };
}

/** `strategy`, whose pickers see each instance's pending picks in `inflight`. */
export function withPendingPicks(strategy: Strategy, pending: PendingPicks): Strategy {
  return {
    name: strategy.name,
    ...(strategy.observe ? { observe: strategy.observe.bind(strategy) } : {}),
    build: (input: PickerInput) =>
      strategy.build({ ...input, loads: input.loads.map((load, i) => pendingView(load, pending.counter(input.instances[i]!.id))) }),
  };
}
