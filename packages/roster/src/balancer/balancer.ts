/**
 * The balancer contracts (DESIGN.md §4, grpc style): a Resolver hands a Balancer instance lists;
 * the Balancer filters them (health, outlier ejection, slow start) and asks its Strategy to build
 * a Picker; callers pick synchronously and report call outcomes back to the Balancer.
 *
 *     update(instances) ─► Balancer ─► Strategy.build(PickerInput) ─► Picker ─► pick(key?)
 *     start(instance) / finish(instance, outcome) ─► Balancer (load, ejection) ─► new Picker
 */
import type { Clock } from '../clock.js';
import type { Instance } from '../model.js';

/**
 * Chooses an instance for one call. Built by a {@link Strategy}, published by a {@link Balancer}.
 *
 * Contract:
 * - Immutable set: a picker always chooses among the same {@link instances}; a change in the
 *   pool (new list, ejection, health, slow-start step) produces a new picker, never a mutation.
 *   A picker may keep private rotation state (a round-robin cursor) and read live load
 *   ({@link InstanceLoad}) shared by reference.
 * - Synchronous, never blocks, never does I/O, never throws. Cheap enough to call per request:
 *   no allocation per pick (tables are built at construction).
 * - `undefined` only when the picker has no instance at all (the empty picker); the caller turns
 *   that into a `NoInstancesError`.
 * - Retries: calling `pick()` again usually yields another instance (rotation, randomness). For a
 *   deterministic choice (consistent hashing with the same key) pick an untried one from
 *   {@link instances} instead.
 */
export interface Picker {
  /**
   * Chooses an instance. `key` is used by key-affine strategies (consistent hashing) and ignored
   * by the others; a key-affine strategy without a key chooses at random.
   */
  pick(key?: string): Instance | undefined;
  /** The instances this picker chooses from (at least one, unless it is the empty picker). */
  readonly instances: readonly Instance[];
}

/** How a call to an instance went, reported with {@link Balancer.finish}. */
export interface CallOutcome {
  /**
   * Whether the call succeeded. The caller decides (a fetch middleware: a response below 500);
   * a failure counts towards outlier ejection.
   */
  readonly ok: boolean;
  /** Time from start to end of the call (to the response headers for HTTP), milliseconds. */
  readonly latencyMs: number;
  /**
   * HTTP status of the response, if there was one. 502, 503 and 504 (and a failure without any
   * response: refused, reset, timed out) are gateway errors for outlier ejection.
   */
  readonly status?: number;
}

/**
 * Live load of one instance, one mutable object per instance per balancer, shared by reference
 * with every picker built while the instance is known. Pickers only read it.
 */
export interface InstanceLoad {
  /** Calls started and not yet finished. Written by the balancer. */
  inflight: number;
  /**
   * Latency estimate in milliseconds kept by the strategy's {@link Strategy.observe} (peak EWMA);
   * `NaN` until the first observation.
   */
  latencyMs: number;
  /** Clock time (ms) of the last change of {@link latencyMs}. */
  latencyAt: number;
}

/** Load of the whole pool of a balancer, shared by reference like {@link InstanceLoad}. */
export interface PoolLoad {
  /** Sum of `inflight` over every instance the balancer knows. */
  inflight: number;
  /**
   * Clock time (ms) of the balancer's latest event: an update, a finished call, a timer. Pickers
   * that need the time read this instead of the clock: reading a clock costs tens of
   * nanoseconds and allocates, and a pick must do neither. In a busy pool it trails the clock by
   * the time between two finished calls.
   */
  observedAt: number;
}

/**
 * What a strategy builds a picker from. All arrays are parallel (index i describes the same
 * instance) and must not be mutated by the strategy.
 */
export interface PickerInput {
  /** The instances to choose from: at least one, in the balancer's order (the snapshot's, by id). */
  readonly instances: readonly Instance[];
  /** Effective weight of each instance, > 0: `Instance.weight` scaled down by slow start. */
  readonly weights: readonly number[];
  /** Live load of each instance. */
  readonly loads: readonly InstanceLoad[];
  /** Live load of the pool. */
  readonly pool: PoolLoad;
  /**
   * Every instance the balancer was given, also those it does not offer (critical, ejected, or
   * warning while enough are passing): for strategies that judge the health of a group (zones).
   */
  readonly all: readonly Instance[];
  /** The balancer's clock, for work at build time (pickers use {@link PoolLoad.observedAt}). */
  readonly clock: Clock;
}

/**
 * A balancing strategy: an immutable object (from a factory such as `roundRobin()`) that builds
 * pickers. One strategy object may serve many balancers: per-pool state lives in the pickers and
 * in the {@link InstanceLoad} objects, never in the strategy.
 */
export interface Strategy {
  /** Short name for logs and metrics, e.g. `round-robin`. */
  readonly name: string;
  /**
   * Builds a picker over `input.instances` (never empty). Called by the balancer on every
   * change; may take O(n log n) time and allocate, so that `pick()` does not.
   */
  build(input: PickerInput): Picker;
  /**
   * Optional feedback: called by the balancer with every finished call (after `inflight` was
   * decremented), to keep per-instance estimates in `load` (peak EWMA latency). `now` is the
   * balancer's clock time.
   */
  observe?(load: InstanceLoad, outcome: CallOutcome, now: number): void;
}

/** What a {@link Balancer} reports about ejections, for logs, metrics and diagnostics channels. */
export type BalancerEvent =
  /** The instance was ejected until `until` (clock ms); `times` counts its ejections so far. */
  | { readonly type: 'ejected'; readonly instance: Instance; readonly until: number; readonly times: number }
  /** The instance's ejection time ran out: it is offered again. */
  | { readonly type: 'unejected'; readonly instance: Instance }
  /** The instance would have been ejected, but the max ejection percent was reached. */
  | { readonly type: 'ejection-skipped'; readonly instance: Instance };

/**
 * Turns instance lists and call outcomes into pickers. One per service per process (created by
 * the Resolver's user, fed by the Resolver); single-threaded like everything in Node.
 *
 * Filtering, in order (each step documented on `createBalancer`):
 * 1. `critical` instances are never offered.
 * 2. Ejected instances (outlier ejection) are not offered, unless nothing else is left: ejection
 *    never empties the pool.
 * 3. `warning` instances are offered only while `passing` ones are too few (`passingQuorum`).
 * 4. Newly added instances get a reduced weight while in slow start.
 *
 * Every method is synchronous and cheap; none throws for an unknown instance (an outcome for an
 * instance that was removed meanwhile is ignored).
 */
export interface Balancer extends Disposable {
  /** The current picker. Reading it is free; hold it for one call, read it again for the next. */
  readonly picker: Picker;
  /** Replaces the instance list (a Snapshot's instances, any health). Publishes a new picker. */
  update(instances: readonly Instance[]): void;
  /** A call to `instance` starts: counts it in flight (least-request, bounded load). */
  start(instance: Instance): void;
  /**
   * The call to `instance` ended; pairs with exactly one `start`. Feeds load, latency and
   * outlier ejection; publishes a new picker when the instance gets ejected.
   */
  finish(instance: Instance, outcome: CallOutcome): void;
  /**
   * Calls `listener` with every new picker (not the current one). Returns the unsubscriber.
   * A listener that throws is reported on the `roster:listener:error` channel; nothing else changes.
   */
  subscribe(listener: (picker: Picker) => void): () => void;
  /** Calls `listener` with every ejection event. Returns the unsubscriber. Throws are isolated as in `subscribe`. */
  onEvent(listener: (event: BalancerEvent) => void): () => void;
  /** Stops the balancer's timers (unejection, slow start). Pickers already handed out keep working. */
  close(): void;
}
