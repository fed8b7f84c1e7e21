/**
 * Least request with the power of two choices (P2C): sample two distinct instances at random and
 * take the one with fewer calls in flight per unit of weight. Nearly as good as scanning for the
 * least loaded, in O(1), and without the herd behaviour of always choosing the global minimum.
 */
import type { Instance } from '../model.js';
import type { InstanceLoad, Picker, PickerInput, Strategy } from './balancer.js';
import { optionsBag, randomOption } from './options.js';

/** Options of {@link leastRequest}. */
export interface LeastRequestOptions {
  /** Uniform numbers in [0, 1). Default: a fast generator seeded from the OS. */
  readonly random?: () => number;
}

class LeastRequestPicker implements Picker {
  readonly instances: readonly Instance[];
  readonly #n: number;
  readonly #loads: readonly InstanceLoad[];
  readonly #weights: Float64Array;
  readonly #random: () => number;

  constructor(input: PickerInput, random: () => number) {
    this.instances = input.instances;
    this.#n = input.instances.length;
    this.#loads = input.loads;
    this.#weights = Float64Array.from(input.weights);
    this.#random = random;
  }

  pick(): Instance | undefined {
    const n = this.#n;
    if (n === 1) return this.instances[0];
    const a = (this.#random() * n) | 0;
    let b = a + 1 + ((this.#random() * (n - 1)) | 0);
    if (b >= n) b -= n;
    // (inflight_a + 1) / w_a <= (inflight_b + 1) / w_b, without dividing.
    const w = this.#weights;
    return (this.#loads[a]!.inflight + 1) * w[b]! <= (this.#loads[b]!.inflight + 1) * w[a]! ? this.instances[a] : this.instances[b];
  }
}

/**
 * Least request (P2C): of two random distinct instances, the one with the lower
 * `(inflight + 1) / weight` (ties: the first drawn). Needs `Balancer.start`/`finish` around every
 * call. O(1) per pick, two random numbers.
 * @throws InvalidArgumentError for a bad option.
 */
export function leastRequest(options?: LeastRequestOptions): Strategy {
  const random = randomOption('leastRequest.random', optionsBag('leastRequest', options, ['random']).random);
  return {
    name: 'least-request',
    build: (input: PickerInput): Picker => new LeastRequestPicker(input, random),
  };
}
