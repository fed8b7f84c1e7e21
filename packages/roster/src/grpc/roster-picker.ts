/**
 * The grpc-js picker of roster's LB policies: roster's Picker chooses the instance (P2C + peak
 * EWMA, weighted), the instance's own pick-first leaf supplies the connected subchannel, and the
 * call's start and end are reported to the Balancer — as `balance()` does for `createFetch` — and
 * the gap between pick and start is covered by {@link PendingPicks}.
 */
import { performance } from 'node:perf_hooks';
import { experimental } from '@grpc/grpc-js';
import type { Balancer, Picker } from '../balancer/balancer.js';
import type { Instance } from '../model.js';
import { grpcCallOutcome } from './call-outcome.js';
import type { PendingPicks } from './pending-picks.js';

type PickArgs = experimental.PickArgs;
type PickResult = experimental.PickResult;

/** A connected instance's leaf: what hands out its subchannel. */
export interface LeafPickers {
  /** The current grpc-js picker of the instance with this id. */
  get(id: string): experimental.Picker | undefined;
}

const QUEUE: PickResult = {
  pickResultType: experimental.PickResultType.QUEUE,
  subchannel: null,
  status: null,
  onCallStarted: null,
  onCallEnded: null,
};

/** Immutable like every picker: a new one is published with every new roster Picker or leaf state. */
export class RosterGrpcPicker implements experimental.Picker {
  readonly #picker: Picker;
  readonly #leaves: LeafPickers;
  readonly #balancer: Balancer;
  readonly #pending: PendingPicks;

  constructor(picker: Picker, leaves: LeafPickers, balancer: Balancer, pending: PendingPicks) {
    this.#picker = picker;
    this.#leaves = leaves;
    this.#balancer = balancer;
    this.#pending = pending;
  }

  pick(args: PickArgs): PickResult {
    const instance = this.#picker.pick();
    const leaf = instance === undefined ? undefined : this.#leaves.get(instance.id);
    if (instance === undefined || leaf === undefined) return QUEUE;
    const result = leaf.pick(args);
    if (result.pickResultType !== experimental.PickResultType.COMPLETE) return result;
    return this.#tracked(result, instance);
  }

  /** The leaf's result with the Balancer's start/finish around the call. */
  #tracked(result: PickResult, instance: Instance): PickResult {
    const balancer = this.#balancer;
    const pending = this.#pending;
    const pick = pending.add(instance.id);
    const innerStarted = result.onCallStarted;
    const innerEnded = result.onCallEnded;
    let startedAt = 0;
    return {
      ...result,
      onCallStarted: () => {
        startedAt = performance.now();
        pending.started(pick);
        balancer.start(instance);
        innerStarted?.();
      },
      onCallEnded: (code, details, metadata) => {
        balancer.finish(instance, grpcCallOutcome(code, performance.now() - startedAt));
        innerEnded?.(code, details, metadata);
      },
    };
  }
}
