/**
 * P2C with peak EWMA latency (Finagle's and Linkerd's "peak EWMA"): of two random instances take
 * the one with the lower `latency × (inflight + 1) / weight`, where latency is an exponentially
 * weighted moving average that jumps up to any slower observation at once (peak sensitive) and
 * decays with time, so a slow instance is avoided quickly and retried once its estimate decays.
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
}

class PeakEwmaPicker implements Picker {
  readonly instances: readonly Instance[];
  readonly #n: number;
  readonly #loads: readonly InstanceLoad[];
  readonly #weights: Float64Array;
  readonly #random: () => number;
  readonly #pool: PoolLoad;
  readonly #decayMs: number;
  readonly #defaultMs: number;

  constructor(input: PickerInput, random: () => number, decayMs: number, defaultMs: number) {
    this.instances = input.instances;
    this.#n = input.instances.length;
    this.#loads = input.loads;
    this.#weights = Float64Array.from(input.weights);
    this.#random = random;
    this.#pool = input.pool;
    this.#decayMs = decayMs;
    this.#defaultMs = defaultMs;
  }

  #cost(i: number, now: number): number {
    const load = this.#loads[i]!;
    const latency = load.latencyMs;
    // The decay is applied on read, not stored: the picker never writes shared state. min(0, …):
    // a wall clock stepping back must not inflate an estimate.
    if (Number.isNaN(latency)) {
      // Never measured (a new instance): free while idle, so it gets its first call at once and
      // is not starved by low estimates elsewhere; costly while that call is out (as Finagle does).
      return load.inflight === 0 ? 0 : (this.#defaultMs * (load.inflight + 1)) / this.#weights[i]!;
    }
    const estimate = latency * Math.exp(Math.min(0, load.latencyAt - now) / this.#decayMs);
    return (estimate * (load.inflight + 1)) / this.#weights[i]!;
  }

  pick(): Instance | undefined {
    const n = this.#n;
    if (n === 1) return this.instances[0];
    const a = (this.#random() * n) | 0;
    let b = a + 1 + ((this.#random() * (n - 1)) | 0);
    if (b >= n) b -= n;
    const now = this.#pool.observedAt;
    return this.#cost(a, now) <= this.#cost(b, now) ? this.instances[a] : this.instances[b];
  }
}

/**
 * P2C + peak EWMA latency. Needs `Balancer.start`/`finish` around every call, with the call's
 * latency; every started call must finish (report timeouts with the time waited), or an instance
 * that hangs keeps its old estimate. A failed call never lowers an estimate, so an instance that
 * fails fast does not attract traffic. The decay runs to the time of the balancer's latest event
 * (`PoolLoad.observedAt`), not a clock read per pick. O(1) per pick: two random numbers.
 * @throws InvalidArgumentError for a bad option.
 */
export function peakEwma(options?: PeakEwmaOptions): Strategy {
  const o = optionsBag('peakEwma', options, ['random', 'decay', 'defaultLatency']);
  const random = randomOption('peakEwma.random', o.random);
  const decayMs = durationOption('peakEwma.decay', o.decay, 10_000, 1, MAX_TIMER_MS);
  const defaultMs = durationOption('peakEwma.defaultLatency', o.defaultLatency, 30, 0, MAX_TIMER_MS);
  return {
    name: 'peak-ewma',
    build: (input: PickerInput): Picker => new PeakEwmaPicker(input, random, decayMs, defaultMs),
    observe(load: InstanceLoad, outcome: CallOutcome, now: number): void {
      const prev = load.latencyMs;
      let rtt = Math.max(0, outcome.latencyMs);
      if (Number.isNaN(prev)) {
        load.latencyMs = outcome.ok ? rtt : Math.max(rtt, defaultMs);
      } else {
        if (!outcome.ok) rtt = Math.max(rtt, prev);
        const w = Math.exp(-Math.max(0, now - load.latencyAt) / decayMs);
        load.latencyMs = rtt > prev ? rtt : prev * w + rtt * (1 - w);
      }
      load.latencyAt = now;
    },
  };
}
