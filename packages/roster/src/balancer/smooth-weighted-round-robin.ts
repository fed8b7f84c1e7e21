/**
 * Smooth weighted round robin (nginx): every instance gets `weight` picks per period of Σ weights
 * picks, spread out instead of in bursts — weights {a:5, b:1, c:1} give a a b a c a a.
 *
 * nginx's step is O(n): add each weight to its instance's credit, take the instance with the most
 * credit, take Σ weights from it. The sequence repeats after Σ weights steps (for integer
 * weights), so the picker runs the steps once at build time into a table and then only walks the
 * table: O(1) per pick. It falls back to the O(n) step when the table would be too large (many
 * instances with large, coprime weights) or the weights are fractional (slow start ramps).
 */
import type { Instance } from '../model.js';
import type { Picker, PickerInput, Strategy } from './balancer.js';
import { optionsBag, randomOption } from './options.js';

/** Options of {@link smoothWeightedRoundRobin}. */
export interface SmoothWeightedRoundRobinOptions {
  /**
   * Chooses where each new picker starts in the period, so that many clients do not move in
   * lockstep. Default: a fast generator seeded from the OS; `() => 0` starts at the beginning (the nginx sequence).
   */
  readonly random?: () => number;
}

/** Longest precomputed period, and most steps spent computing one. */
const MAX_PERIOD = 1 << 16;
const MAX_BUILD_STEPS = 1 << 22;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Walks a precomputed period. */
class TablePicker implements Picker {
  readonly instances: readonly Instance[];
  readonly #table: Uint32Array;
  #next: number;

  constructor(instances: readonly Instance[], table: Uint32Array, start: number) {
    this.instances = instances;
    this.#table = table;
    this.#next = start;
  }

  pick(): Instance | undefined {
    const i = this.#next;
    const j = i + 1;
    this.#next = j === this.#table.length ? 0 : j;
    return this.instances[this.#table[i]!];
  }
}

/** Runs nginx's step on every pick. */
class StepPicker implements Picker {
  readonly instances: readonly Instance[];
  readonly #weights: Float64Array;
  readonly #credit: Float64Array;
  readonly #total: number;

  constructor(instances: readonly Instance[], weights: Float64Array, total: number) {
    this.instances = instances;
    this.#weights = weights;
    this.#credit = new Float64Array(weights.length);
    this.#total = total;
  }

  pick(): Instance | undefined {
    return this.instances[step(this.#weights, this.#credit, this.#total)];
  }
}

/** One nginx step over `credit`; returns the chosen index (the first one on ties). */
function step(weights: Float64Array, credit: Float64Array, total: number): number {
  let best = 0;
  let bestCredit = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < weights.length; i++) {
    const c = credit[i]! + weights[i]!;
    credit[i] = c;
    if (c > bestCredit) {
      bestCredit = c;
      best = i;
    }
  }
  credit[best] = bestCredit - total;
  return best;
}

/** The period of the nginx sequence for integer weights, or undefined when too costly. */
function period(weights: readonly number[]): Uint32Array | undefined {
  const n = weights.length;
  let g = 0;
  for (const w of weights) {
    if (!Number.isInteger(w)) return undefined;
    g = gcd(w, g);
  }
  const reduced = Float64Array.from(weights, (w) => w / g);
  let total = 0;
  for (const w of reduced) total += w;
  if (total === n) return Uint32Array.from({ length: n }, (_, i) => i); // equal weights: plain rotation
  if (total > MAX_PERIOD || total * n > MAX_BUILD_STEPS) return undefined;
  const table = new Uint32Array(total);
  const credit = new Float64Array(n);
  for (let k = 0; k < total; k++) table[k] = step(reduced, credit, total);
  return table;
}

/**
 * Smooth weighted round robin: deterministic, each instance `w_i` times per `Σ w` picks, evenly
 * interleaved (effective weights: `Instance.weight` scaled by slow start). O(1) per pick for
 * integer weights with a period up to 65,536 picks, else O(n).
 * @throws InvalidArgumentError for a bad option.
 */
export function smoothWeightedRoundRobin(options?: SmoothWeightedRoundRobinOptions): Strategy {
  const random = randomOption('smoothWeightedRoundRobin.random', optionsBag('smoothWeightedRoundRobin', options, ['random']).random);
  return {
    name: 'smooth-weighted-round-robin',
    build(input: PickerInput): Picker {
      const table = period(input.weights);
      if (table) return new TablePicker(input.instances, table, Math.min(table.length - 1, Math.floor(random() * table.length)));
      const weights = Float64Array.from(input.weights);
      let total = 0;
      for (const w of weights) total += w;
      return new StepPicker(input.instances, weights, total);
    },
  };
}
