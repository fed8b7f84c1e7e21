/**
 * Consistent hashing with bounded load (Mirrokni, Thorup, Zadimoghaddam 2016; as in HAProxy and
 * Envoy): a hash ring with virtual nodes maps a key to an instance, so the same key keeps going
 * to the same instance and adding or removing one of n instances moves only about 1/n of the
 * keys. With bounded load, an instance already carrying more than `c ×` the average in-flight
 * calls is passed over for the next one clockwise, so a hot key cannot overload one instance.
 */
import type { Instance } from '../model.js';
import type { InstanceLoad, Picker, PickerInput, PoolLoad, Strategy } from './balancer.js';
import { hash32, mix32 } from './hash32.js';
import { integerOption, numberOption, optionsBag, randomOption } from './options.js';

/** Options of {@link consistentHash}. */
export interface ConsistentHashOptions {
  /**
   * The bound c ≥ 1: no instance takes a call while it has `ceil(c × average)` or more calls in
   * flight (average over the pool, counting the new call). `false` turns the bound off (pure
   * consistent hashing). Default 1.25. Needs `Balancer.start`/`finish` around every call.
   */
  readonly boundedLoad?: number | false;
  /** Virtual nodes per instance, 1–4096: more spread keys more evenly and cost memory. Default 128. */
  readonly virtualNodes?: number;
  /** For picks without a key (a random point on the ring). Default: a fast generator seeded from the OS. */
  readonly random?: () => number;
}

/** Ring positions pack hash (32 bits) and instance index into one exactly representable double. */
const INDEX_BITS = 2 ** 21;

class RingPicker implements Picker {
  readonly instances: readonly Instance[];
  /** Sorted ring positions. */
  readonly #points: Uint32Array;
  /** Instance index of each ring position. */
  readonly #owners: Uint32Array;
  readonly #loads: readonly InstanceLoad[];
  readonly #pool: PoolLoad;
  readonly #bound: number;
  readonly #random: () => number;

  constructor(input: PickerInput, vnodes: number, bound: number, random: () => number) {
    const n = Math.min(input.instances.length, INDEX_BITS);
    this.instances = input.instances.slice(0, n);
    this.#loads = input.loads;
    this.#pool = input.pool;
    this.#bound = bound;
    this.#random = random;
    const packed = new Float64Array(n * vnodes);
    for (let i = 0; i < n; i++) {
      const base = hash32(this.instances[i]!.id);
      for (let v = 0; v < vnodes; v++) packed[i * vnodes + v] = mix32(base ^ Math.imul(v + 1, 0x9e3779b9)) * INDEX_BITS + i;
    }
    packed.sort();
    this.#points = new Uint32Array(packed.length);
    this.#owners = new Uint32Array(packed.length);
    for (let k = 0; k < packed.length; k++) {
      const owner = packed[k]! % INDEX_BITS;
      this.#owners[k] = owner;
      this.#points[k] = (packed[k]! - owner) / INDEX_BITS;
    }
  }

  pick(key?: string): Instance | undefined {
    const h = key === undefined ? (this.#random() * 4294967296) >>> 0 : hash32(key);
    const points = this.#points;
    const size = points.length;
    // First ring position >= h, wrapping to 0.
    let lo = 0;
    let hi = size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (points[mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    if (lo === size) lo = 0;
    const owners = this.#owners;
    if (this.#bound === 0) return this.instances[owners[lo]!];
    const capacity = Math.ceil((this.#bound * (this.#pool.inflight + 1)) / this.instances.length);
    // Some instance is below capacity (Σ inflight < n × capacity), so this ends within one turn.
    for (let k = 0, p = lo; k < size; k++) {
      const owner = owners[p]!;
      if (this.#loads[owner]!.inflight < capacity) return this.instances[owner];
      p = p + 1 === size ? 0 : p + 1;
    }
    return this.instances[owners[lo]!];
  }
}

/**
 * Consistent hashing on `pick(key)`, with bounded load. Weights and slow start do not apply (they
 * would move keys as they change). O(log(n × virtualNodes)) per pick plus the key's length;
 * with bounded load, a few more steps when the key's instance is full. Up to 2^21 instances.
 * @throws InvalidArgumentError for a bad option.
 */
export function consistentHash(options?: ConsistentHashOptions): Strategy {
  const o = optionsBag('consistentHash', options);
  const bound = o.boundedLoad === false ? 0 : numberOption('consistentHash.boundedLoad', o.boundedLoad, 1.25, 1, 1_000_000);
  const vnodes = integerOption('consistentHash.virtualNodes', o.virtualNodes, 128, 1, 4096);
  const random = randomOption('consistentHash.random', o.random);
  return {
    name: 'consistent-hash',
    build: (input: PickerInput): Picker => new RingPicker(input, vnodes, bound, random),
  };
}
