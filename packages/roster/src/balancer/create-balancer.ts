/**
 * createBalancer(): the one Balancer implementation. It keeps per-instance state (load, outlier
 * bookkeeping, slow start), decides which instances are offered, and has its Strategy build a
 * new Picker on every change. Time (ejections ending, slow start steps) runs on the injected clock.
 */
import { type Clock, systemClock, type TimerHandle } from '../clock.js';
import * as v from '../internal/options.js';
import { TypedEvent } from '../internal/typed-event.js';
import type { Instance } from '../model.js';
import type { Balancer, BalancerEvent, CallOutcome, InstanceLoad, Picker, PoolLoad, Strategy } from './balancer.js';
import { emptyPicker } from './empty-picker.js';
import { OutlierEjection, type OutlierState } from './outlier-ejection.js';
import { roundRobin } from './round-robin.js';
import { SlowStart } from './slow-start.js';

/** Options of {@link createBalancer}. */
export interface BalancerOptions {
  /** How to choose among the offered instances. Default `roundRobin()`. */
  readonly strategy?: Strategy;
  /** Time source for ejections, slow start and latency decay. Default `systemClock`. */
  readonly clock?: Clock;
  /** Outlier ejection policy (`outlierEjection({...})`), or `false` for none. Default `outlierEjection()`. */
  readonly outlierEjection?: OutlierEjection | false;
  /** Slow start policy (`slowStart({ window: '30s' })`), or `false` for none. Default none. */
  readonly slowStart?: SlowStart | false;
  /**
   * Fraction (0–1) of the non-critical, non-ejected instances that must be `passing` for the
   * `warning` ones to be left out. 0: warning instances are used only when none is passing;
   * 1: they are always used. Default 0.5.
   */
  readonly passingQuorum?: number;
}

interface Entry {
  instance: Instance;
  readonly load: InstanceLoad;
  readonly outlier: OutlierState;
  /** When the instance joined the pool (added, or back from critical): slow start's origin. */
  joinedAt: number;
}

const NEVER = Number.NEGATIVE_INFINITY;

const BALANCER_OPTIONS = {
  strategy: v.withFactory(v.withMethods<Strategy>(['build'], 'a strategy, e.g. roundRobin() or peakEwma()'), () => roundRobin()),
  clock: v.withDefault(v.clock, systemClock),
  outlierEjection: v.withFactory(
    v.either(
      v.literal(false),
      v.satisfies<OutlierEjection>((x) => x instanceof OutlierEjection, 'outlierEjection({...})'),
      'outlierEjection({...}) or false',
    ),
    () => new OutlierEjection(),
  ),
  slowStart: v.withDefault(
    v.either(
      v.literal(false),
      v.satisfies<SlowStart>((x) => x instanceof SlowStart, 'slowStart({...})'),
      'slowStart({...}) or false',
    ),
    false,
  ),
  passingQuorum: v.withDefault(v.number(0, 1), 0.5),
};

class DefaultBalancer implements Balancer {
  readonly #strategy: Strategy;
  readonly #clock: Clock;
  readonly #ejection: OutlierEjection | undefined;
  readonly #slowStart: SlowStart | undefined;
  readonly #quorum: number;
  readonly #pool: PoolLoad;
  readonly #pickers = new TypedEvent<Picker>('balancer:picker');
  readonly #events = new TypedEvent<BalancerEvent>('balancer:event');
  #entries = new Map<string, Entry>();
  #all: readonly Instance[] = [];
  #picker: Picker = emptyPicker;
  #updated = false;
  #closed = false;
  #timer: TimerHandle | undefined;

  constructor(options: BalancerOptions | undefined) {
    const o = v.options(options, BALANCER_OPTIONS, 'balancer');
    this.#strategy = o.strategy;
    this.#clock = o.clock;
    this.#pool = { inflight: 0, observedAt: this.#clock.now() };
    this.#ejection = o.outlierEjection === false ? undefined : o.outlierEjection;
    this.#slowStart = o.slowStart === false ? undefined : o.slowStart;
    this.#quorum = o.passingQuorum;
  }

  get picker(): Picker {
    return this.#picker;
  }

  update(instances: readonly Instance[]): void {
    if (this.#closed) return;
    const now = this.#clock.now();
    const first = !this.#updated;
    this.#updated = true;
    const entries = new Map<string, Entry>();
    let inflight = 0;
    for (const instance of instances) {
      const old = this.#entries.get(instance.id);
      if (old) {
        // Back from critical: ramp up again, like a new instance.
        if (old.instance.health === 'critical' && instance.health !== 'critical') old.joinedAt = now;
        old.instance = instance;
        entries.set(instance.id, old);
        inflight += old.load.inflight;
      } else {
        entries.set(instance.id, {
          instance,
          load: { inflight: 0, latencyMs: Number.NaN, latencyAt: now },
          outlier: this.#ejection?.newState() ?? {
            consecutiveFailures: 0,
            consecutiveGatewayErrors: 0,
            times: 0,
            ejectedUntil: 0,
            unejectedAt: 0,
          },
          // The first list is the pool as it is: nothing to ramp up against.
          joinedAt: first ? NEVER : now,
        });
      }
    }
    this.#entries = entries;
    this.#all = instances.slice();
    this.#pool.inflight = inflight;
    this.#rebuild(now);
  }

  start(instance: Instance): void {
    const entry = this.#entries.get(instance.id);
    if (!entry) return;
    entry.load.inflight++;
    this.#pool.inflight++;
  }

  finish(instance: Instance, outcome: CallOutcome): void {
    const entry = this.#entries.get(instance.id);
    if (!entry) return;
    if (entry.load.inflight > 0) {
      entry.load.inflight--;
      this.#pool.inflight--;
    }
    const now = this.#clock.now();
    this.#pool.observedAt = now;
    this.#strategy.observe?.(entry.load, outcome, now);
    const ejection = this.#ejection;
    // Outcomes of calls started before an ejection do not count again.
    if (!ejection || this.#closed || entry.outlier.ejectedUntil !== 0) return;
    if (ejection.record(entry.outlier, outcome)) this.#tryEject(ejection, entry, now);
  }

  subscribe(listener: (picker: Picker) => void): () => void {
    return this.#pickers.subscribe(listener);
  }

  onEvent(listener: (event: BalancerEvent) => void): () => void {
    return this.#events.subscribe(listener);
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #tryEject(ejection: OutlierEjection, entry: Entry, now: number): void {
    let candidates = 0;
    let ejected = 0;
    for (const e of this.#entries.values()) {
      if (e.instance.health === 'critical') continue;
      candidates++;
      if (e.outlier.ejectedUntil !== 0) ejected++;
    }
    if (entry.instance.health === 'critical' || ejected >= ejection.maxEjected(candidates)) {
      this.#emit({ type: 'ejection-skipped', instance: entry.instance });
      return;
    }
    const until = ejection.eject(entry.outlier, now);
    this.#emit({ type: 'ejected', instance: entry.instance, until, times: entry.outlier.times });
    this.#rebuild(now);
  }

  /** Unejects what is due, decides what is offered, publishes a new picker, sets the next wake-up. */
  #rebuild(now: number): void {
    this.#pool.observedAt = now;
    const ejection = this.#ejection;
    const healthy: Entry[] = [];
    const ejected: Entry[] = [];
    let passing = 0;
    for (const entry of this.#entries.values()) {
      if (ejection && entry.outlier.ejectedUntil !== 0 && entry.outlier.ejectedUntil <= now) {
        ejection.uneject(entry.outlier, now);
        this.#emit({ type: 'unejected', instance: entry.instance });
      }
      if (entry.instance.health === 'critical') continue;
      if (entry.outlier.ejectedUntil !== 0) ejected.push(entry);
      else {
        healthy.push(entry);
        if (entry.instance.health === 'passing') passing++;
      }
    }
    // Ejection never empties the pool: when health took the rest away, offer the ejected.
    let offered = healthy.length > 0 ? healthy : ejected;
    if (offered === healthy && passing > 0 && passing < healthy.length && passing >= this.#quorum * healthy.length) {
      offered = healthy.filter((e) => e.instance.health === 'passing');
    }
    this.#publish(offered, now);
    this.#schedule(now);
  }

  #publish(offered: readonly Entry[], now: number): void {
    if (offered.length === 0) {
      this.#picker = emptyPicker;
    } else {
      const slow = this.#slowStart;
      this.#picker = this.#strategy.build({
        instances: offered.map((e) => e.instance),
        weights: offered.map((e) => (slow ? e.instance.weight * slow.factor(now - e.joinedAt) : e.instance.weight)),
        loads: offered.map((e) => e.load),
        pool: this.#pool,
        all: this.#all,
        clock: this.#clock,
      });
    }
    this.#pickers.emit(this.#picker);
  }

  /** One timer for the next ejection end or slow start step, whichever comes first. */
  #schedule(now: number): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#closed) return;
    let wake = Number.POSITIVE_INFINITY;
    const slow = this.#slowStart;
    for (const entry of this.#entries.values()) {
      if (entry.outlier.ejectedUntil !== 0) wake = Math.min(wake, entry.outlier.ejectedUntil);
      if (slow && entry.instance.health !== 'critical' && now - entry.joinedAt < slow.windowMs) {
        wake = Math.min(wake, now + slow.stepMs, entry.joinedAt + slow.windowMs);
      }
    }
    if (wake === Number.POSITIVE_INFINITY) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      if (!this.#closed) this.#rebuild(this.#clock.now());
    }, wake - now);
  }

  #emit(event: BalancerEvent): void {
    this.#events.emit(event);
  }
}

/**
 * Creates a Balancer (see the {@link Balancer} contract for the filtering rules). Feed it with
 * `update(snapshot.instances)` on every snapshot, and wrap every call in `start`/`finish`.
 * @throws InvalidArgumentError naming the bad option.
 */
export function createBalancer(options?: BalancerOptions): Balancer {
  return new DefaultBalancer(options);
}
