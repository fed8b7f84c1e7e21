/** Round robin (one of the seed's three): each instance in turn, weights ignored. */
import type { Instance } from '../model.js';
import type { Picker, PickerInput, Strategy } from './balancer.js';
import { optionsBag, randomOption } from './options.js';

/** Options of {@link roundRobin}. */
export interface RoundRobinOptions {
  /**
   * Chooses where each new picker starts in the list, so that many clients that got the same
   * list at the same time do not all start with the first instance. Default: a fast generator seeded from the OS;
   * `() => 0` always starts at the first.
   */
  readonly random?: () => number;
}

class RoundRobinPicker implements Picker {
  readonly instances: readonly Instance[];
  readonly #n: number;
  #next: number;

  constructor(instances: readonly Instance[], start: number) {
    this.instances = instances;
    this.#n = instances.length;
    this.#next = start;
  }

  pick(): Instance | undefined {
    const i = this.#next;
    const j = i + 1;
    this.#next = j === this.#n ? 0 : j;
    return this.instances[i];
  }
}

/**
 * Round robin: picks the instances in list order, one after the other. O(1) per pick.
 * @throws InvalidArgumentError for a bad option.
 */
export function roundRobin(options?: RoundRobinOptions): Strategy {
  const random = randomOption('roundRobin.random', optionsBag('roundRobin', options, ['random']).random);
  return {
    name: 'round-robin',
    build(input: PickerInput): Picker {
      const n = input.instances.length;
      return new RoundRobinPicker(input.instances, Math.min(n - 1, Math.floor(random() * n)));
    },
  };
}
