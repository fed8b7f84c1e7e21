/**
 * Weighted random (one of the seed's three) with Vose's alias method: O(n) to build, O(1) and one
 * random number per pick, exact probabilities `weight / Σ weights`.
 */
import type { Instance } from '../model.js';
import type { Picker, PickerInput, Strategy } from './balancer.js';
import { optionsBag, randomOption } from './options.js';

/** Options of {@link weightedRandom}. */
export interface WeightedRandomOptions {
  /** Uniform numbers in [0, 1). Default: a fast generator seeded from the OS. */
  readonly random?: () => number;
}

class AliasPicker implements Picker {
  readonly instances: readonly Instance[];
  readonly #n: number;
  readonly #random: () => number;
  /** Probability of keeping column i (else take its alias). */
  readonly #keep: Float64Array;
  readonly #alias: Uint32Array;

  constructor(instances: readonly Instance[], weights: readonly number[], random: () => number) {
    const n = instances.length;
    this.instances = instances;
    this.#n = n;
    this.#random = random;
    this.#keep = new Float64Array(n);
    this.#alias = new Uint32Array(n);
    let sum = 0;
    for (let i = 0; i < n; i++) sum += weights[i]!;
    // Vose: scale weights to mean 1, pair each small column with a large one.
    const scaled = new Float64Array(n);
    const small = new Uint32Array(n);
    const large = new Uint32Array(n);
    let s = 0;
    let l = 0;
    for (let i = 0; i < n; i++) {
      scaled[i] = (weights[i]! * n) / sum;
      if (scaled[i]! < 1) small[s++] = i;
      else large[l++] = i;
    }
    while (s > 0 && l > 0) {
      const lo = small[--s]!;
      const hi = large[--l]!;
      this.#keep[lo] = scaled[lo]!;
      this.#alias[lo] = hi;
      scaled[hi] = scaled[hi]! + scaled[lo]! - 1;
      if (scaled[hi]! < 1) small[s++] = hi;
      else large[l++] = hi;
    }
    // Leftovers are 1 up to rounding error.
    while (l > 0) this.#keep[large[--l]!] = 1;
    while (s > 0) this.#keep[small[--s]!] = 1;
  }

  pick(): Instance | undefined {
    const u = this.#random() * this.#n;
    const i = u | 0;
    return this.instances[u - i < this.#keep[i]! ? i : this.#alias[i]!];
  }
}

/**
 * Weighted random: each pick independently, instance i with probability `w_i / Σ w` (effective
 * weights: `Instance.weight` scaled by slow start). O(1) per pick.
 * @throws InvalidArgumentError for a bad option.
 */
export function weightedRandom(options?: WeightedRandomOptions): Strategy {
  const random = randomOption('weightedRandom.random', optionsBag('weightedRandom', options, ['random']).random);
  return {
    name: 'weighted-random',
    build: (input: PickerInput): Picker => new AliasPicker(input.instances, input.weights, random),
  };
}
