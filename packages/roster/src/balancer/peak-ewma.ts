/**
 * P2C with peak EWMA latency (after Finagle's and Linkerd's "peak EWMA"): of two random instances
 * take the one with the lower `latency × (inflight + 1) / weight`. The latency estimate is an
 * exponentially weighted moving average that rises to a slower observation at once once two
 * more slow observations confirm it (peak sensitive, but a stall or two is not a verdict), and
 * decays while the instance is not used — with time and with the calls the pool makes — so an
 * instance that was slow is tried again after a bounded number of calls, and equal instances
 * share the traffic.
 */
import { MAX_TIMER_MS } from '../clock.js';
import type { Instance } from '../model.js';
import type { CallOutcome, InstanceLoad, Picker, PickerInput, PoolLoad, Strategy } from './balancer.js';
import { durationOption, optionsBag, randomOption } from './options.js';

/** Options of {@link peakEwma}. Durations: milliseconds or Go strings (`"10s"`). */
export interface PeakEwmaOptions {
  /** Uniform numbers in [0, 1). Default: a fast generator seeded from the OS. */
  readonly random?: () => number;
  /** Time constant τ of the decay: an estimate not refreshed for τ keeps 1/e of its weight. Default 10 s. */
  readonly decay?: number | string;
  /**
   * Latency assumed for an instance with no observation yet while it has calls in flight (an idle
   * unmeasured instance costs 0, so a new instance gets a first call at once). Default 30 ms.
   */
  readonly defaultLatency?: number | string;
  /**
   * Costs that differ by less than this (ms) count as equal, however large their ratio: below it
   * the difference is scheduling noise, not a slower instance (on loopback, equal instances answer
   * in 0.2–0.6 ms, and a ratio alone would keep favouring whichever looked faster). Default 1 ms.
   */
  readonly tolerance?: number | string;
}

/**
 * Calls per instance over which an unused estimate keeps 1/e of its weight (the decay in calls,
 * beside τ in time), before strikes (below). An equal instance whose estimate a few stalls
 * raised is back within a few dozen calls (D40, D141).
 */
const DECAY_ROUNDS = 4;
/**
 * The decay in calls slows down 2× for every confirmed slow episode of an instance in a row (up
 * to 2^MAX_STRIKES): a really slow instance is re-tried after about 50, 100, 200, … calls, while
 * an equal instance that was unlucky once (stalls at its cold start) is back within a few dozen
 * calls (D141).
 */
const MAX_STRIKES = 8;
/** Successful samples an instance's first estimate is taken from (the fastest of them). */
const WARMUP = 4;
/** Weight of a new sample in the average (at least; more when the estimate is older than τ·ln(1/(1−α))). */
const ALPHA = 0.2;
/** Weight of a single slow sample not (yet) confirmed by the instance's previous sample (which at most doubles the estimate). */
const OUTLIER_ALPHA = 0.1;

/** Costs closer than this factor count as equal (loopback latencies vary ±20 % call to call). */
const TIE = 1.3;

/** What the strategy keeps per instance beside {@link InstanceLoad}: written by `observe` only. */
interface Track {
  /** The latest raw sample (ms), NaN before the first. */
  last: number;
  /** The sample before `last` (ms), NaN before the second. */
  before: number;
  /** Whether `last`'s call started after the call of `before` ended (they did not overlap). */
  lastSequential: boolean;
  /** The pool's call counter at the latest sample of this instance. */
  calls: number;
  /** Clock time the latest sample's call ended. */
  end: number;
  /** Confirmed slow episodes in a row (reset by a much faster sample): slows the decay in calls. */
  strikes: number;
  /** Successful samples while unmeasured, and the fastest of them. */
  warm: number;
  best: number;
}

/** Per-balancer state of the strategy: the pool's finished-call counter and each instance's track. */
class EwmaState {
  /** Calls finished in the pool. */
  calls = 0;
  /** Instances in the latest picker. */
  size = 1;
  readonly #tracks = new WeakMap<InstanceLoad, Track>();

  track(load: InstanceLoad): Track {
    let t = this.#tracks.get(load);
    if (t === undefined) {
      t = {
        last: Number.NaN,
        before: Number.NaN,
        lastSequential: false,
        strikes: 0,
        end: Number.NEGATIVE_INFINITY,
        calls: this.calls,
        warm: 0,
        best: Number.POSITIVE_INFINITY,
      };
      this.#tracks.set(load, t);
    }
    return t;
  }

  /** The estimate of `load` decayed to time `now` and the current call count (NaN when unmeasured). */
  decayed(load: InstanceLoad, track: Track, now: number, decayMs: number): number {
    // min(0, …): a wall clock stepping back must not inflate an estimate.
    const dt = Math.min(0, load.latencyAt - now) / decayMs;
    // Decay in calls only while idle: an instance with a call out is waiting for an answer, not
    // forgotten (else a slow instance being probed would attract more calls before it answers).
    const rounds =
      load.inflight > 0 ? 0 : Math.max(0, this.calls - track.calls) / (DECAY_ROUNDS * 2 ** track.strikes * Math.max(1, this.size));
    return load.latencyMs * Math.exp(dt - rounds);
  }
}

class PeakEwmaPicker implements Picker {
  readonly instances: readonly Instance[];
  readonly #n: number;
  readonly #loads: readonly InstanceLoad[];
  readonly #tracks: readonly Track[];
  readonly #weights: Float64Array;
  readonly #random: () => number;
  readonly #pool: PoolLoad;
  readonly #state: EwmaState;
  readonly #decayMs: number;
  readonly #defaultMs: number;
  readonly #toleranceMs: number;
  #next: number;

  constructor(input: PickerInput, state: EwmaState, random: () => number, decayMs: number, defaultMs: number, toleranceMs: number) {
    this.instances = input.instances;
    this.#n = input.instances.length;
    this.#loads = input.loads;
    this.#tracks = input.loads.map((l) => state.track(l));
    this.#weights = Float64Array.from(input.weights);
    this.#random = random;
    this.#pool = input.pool;
    this.#state = state;
    this.#decayMs = decayMs;
    this.#defaultMs = defaultMs;
    this.#toleranceMs = toleranceMs;
    this.#next = (random() * this.#n) | 0;
  }

  #cost(i: number, now: number): number {
    const load = this.#loads[i]!;
    // The decay is applied on read, not stored: the picker never writes shared state.
    if (Number.isNaN(load.latencyMs)) {
      // Never measured (a new instance): free while idle, so it gets its first call at once and
      // is not starved by low estimates elsewhere; costly while that call is out (as Finagle does).
      // While it warms up, its fastest sample so far stands in for the default.
      if (load.inflight === 0) return 0;
      const track = this.#tracks[i]!;
      return ((track.warm > 0 ? track.best : this.#defaultMs) * (load.inflight + 1)) / this.#weights[i]!;
    }
    const estimate = this.#state.decayed(load, this.#tracks[i]!, now, this.#decayMs);
    return (estimate * (load.inflight + 1)) / this.#weights[i]!;
  }

  pick(): Instance | undefined {
    const n = this.#n;
    if (n === 1) return this.instances[0];
    // The first candidate takes turns, the second is random: every instance is considered at
    // least once per n picks, which keeps equal instances' shares close over short runs.
    const a = this.#next;
    this.#next = a + 1 === n ? 0 : a + 1;
    let b = a + 1 + ((this.#random() * (n - 1)) | 0);
    if (b >= n) b -= n;
    const now = this.#pool.observedAt;
    const ca = this.#cost(a, now);
    const cb = this.#cost(b, now);
    // Costs within TIE of each other are noise between equal instances: take the one that has
    // waited longer since its last call, which spreads calls evenly (like round robin) among them.
    if (ca > cb * TIE && ca - cb > this.#toleranceMs) return this.instances[b];
    if (cb > ca * TIE && cb - ca > this.#toleranceMs) return this.instances[a];
    return this.#tracks[a]!.calls <= this.#tracks[b]!.calls ? this.instances[a] : this.instances[b];
  }
}

/**
 * P2C + peak EWMA latency. Needs `Balancer.start`/`finish` around every call, with the call's
 * latency; every started call must finish (report timeouts with the time waited), or an instance
 * that hangs keeps its old estimate. The estimate of an instance:
 * - its first estimate is the fastest of its first four successful samples (the first pays for
 *   connection setup; until then it counts as unmeasured); a first failure counts as
 *   `defaultLatency`;
 * - a faster sample moves it at least 20 % of the way (more after τ without samples);
 * - a slower sample confirmed by the two before it (three slow in a row, none overlapping) raises
 *   it at once to the lowest of the three (peak); an unconfirmed slow sample moves it 10 % of
 *   the way, at most doubling it;
 * - a failed call never lowers it, so an instance that fails fast does not attract traffic;
 * - unused, it decays with time (τ = `decay`) and with the pool's calls (1/e every 4 calls per
 *   instance, 2× slower for each confirmed slow episode in a row, up to 2⁸; a much faster sample
 *   resets that), so an avoided instance is tried again after a bounded number of calls, and a
 *   really slow one ever more rarely.
 * The time decay runs to the balancer's latest event (`PoolLoad.observedAt`), not a clock read
 * per pick. O(1) per pick: two random numbers, no allocation.
 * @throws InvalidArgumentError for a bad option.
 */
export function peakEwma(options?: PeakEwmaOptions): Strategy {
  const o = optionsBag('peakEwma', options, ['random', 'decay', 'defaultLatency', 'tolerance']);
  const random = randomOption('peakEwma.random', o.random);
  const decayMs = durationOption('peakEwma.decay', o.decay, 10_000, 1, MAX_TIMER_MS);
  const defaultMs = durationOption('peakEwma.defaultLatency', o.defaultLatency, 30, 0, MAX_TIMER_MS);
  const toleranceMs = durationOption('peakEwma.tolerance', o.tolerance, 1, 0, MAX_TIMER_MS);
  // One state per balancer (its PoolLoad), found from an instance's load in observe(): a
  // strategy object shared by several balancers (createFetch's services) keeps them apart.
  const byPool = new WeakMap<PoolLoad, EwmaState>();
  const byLoad = new WeakMap<InstanceLoad, EwmaState>();
  const stateOf = (load: InstanceLoad): EwmaState => {
    let state = byLoad.get(load);
    if (state === undefined) byLoad.set(load, (state = new EwmaState()));
    return state;
  };
  return {
    name: 'peak-ewma',
    build: (input: PickerInput): Picker => {
      let state = byPool.get(input.pool);
      if (state === undefined) byPool.set(input.pool, (state = new EwmaState()));
      state.size = input.instances.length;
      for (const load of input.loads) byLoad.set(load, state);
      return new PeakEwmaPicker(input, state, random, decayMs, defaultMs, toleranceMs);
    },
    observe(load: InstanceLoad, outcome: CallOutcome, now: number): void {
      const state = stateOf(load);
      const track = state.track(load);
      const prev = Number.isNaN(load.latencyMs) ? Number.NaN : state.decayed(load, track, now, decayMs);
      state.calls++;
      let rtt = Math.max(0, outcome.latencyMs);
      const last = track.last;
      const before = track.before;
      // A slow sample confirms the previous ones only when its call started after that one ended:
      // calls that overlapped (a burst opening new connections) share one cause.
      const sequential = now - rtt >= track.end;
      // Confirmed: this sample and the two before it all slow. Two in a row is not enough: on a
      // loaded machine a scheduling stall of tens of ms hits a few percent of the calls, two of one
      // instance's calls in a row often enough (measured, D141) to shut an equal instance out for
      // hundreds of calls. During the warm-up the samples must also not overlap (a burst opening
      // connections shares one cause); once measured, overlapping slow samples confirm too, or a
      // slow instance re-tried by several calls at once would never be confirmed (D143). A really
      // slow instance keeps its slow samples across the calls it is avoided, so one slow probe
      // re-confirms it at once.
      const confirmed = last > prev && before > prev && (track.warm >= WARMUP || (sequential && track.lastSequential));
      track.before = last;
      track.lastSequential = sequential;
      track.last = rtt;
      track.end = now;
      track.calls = state.calls;
      if (Number.isNaN(prev)) {
        if (!outcome.ok) load.latencyMs = Math.max(rtt, defaultMs);
        else {
          // The first calls also pay for connection setup: the estimate starts as the fastest of
          // the first WARMUP samples; until then the instance counts as unmeasured.
          track.best = Math.min(track.best, rtt);
          if (++track.warm < WARMUP) return;
          load.latencyMs = track.best;
        }
      } else {
        if (!outcome.ok) rtt = Math.max(rtt, load.latencyMs); // a failure never lowers it, not even by the decay
        const old = Math.min(1 - ALPHA, Math.exp(-Math.max(0, now - load.latencyAt) / decayMs));
        if (rtt * TIE < prev) {
          load.latencyMs = (prev + rtt) / 2; // much faster than believed: half way at once
          track.strikes = 0;
        } else if (rtt <= prev) load.latencyMs = prev * old + rtt * (1 - old);
        else if (!outcome.ok || confirmed) {
          load.latencyMs = Math.max(prev, Math.min(rtt, outcome.ok ? Math.min(last, before) : rtt));
          // A strike only for a raise that makes a difference (beyond the tie rule), not for jitter.
          if (load.latencyMs > prev * TIE && load.latencyMs - prev > toleranceMs) track.strikes = Math.min(MAX_STRIKES, track.strikes + 1);
        } else load.latencyMs = Math.min(prev * (1 - OUTLIER_ALPHA) + rtt * OUTLIER_ALPHA, prev * 2); // at most doubled
      }
      load.latencyAt = now;
    },
  };
}
