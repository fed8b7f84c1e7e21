/** Random (one of the seed's three): uniform choice, weights ignored. */
import type { Instance } from '../model.js';
import type { Picker, PickerInput, Strategy } from './balancer.js';
import { optionsBag, randomOption } from './options.js';

/** Options of {@link random}. */
export interface RandomOptions {
  /** Uniform numbers in [0, 1). Default: a fast generator seeded from the OS; inject a seeded one (mulberry32) in tests. */
  readonly random?: () => number;
}

class RandomPicker implements Picker {
  readonly instances: readonly Instance[];
  readonly #n: number;
  readonly #random: () => number;

  constructor(instances: readonly Instance[], random: () => number) {
    this.instances = instances;
    this.#n = instances.length;
    this.#random = random;
  }

  pick(): Instance | undefined {
    return this.instances[(this.#random() * this.#n) | 0];
  }
}

/**
 * Random: every instance equally likely, independently per pick. O(1) per pick.
 * @throws InvalidArgumentError for a bad option.
 */
export function random(options?: RandomOptions): Strategy {
  const rnd = randomOption('random.random', optionsBag('random', options, ['random']).random);
  return {
    name: 'random',
    build: (input: PickerInput): Picker => new RandomPicker(input.instances, rnd),
  };
}
