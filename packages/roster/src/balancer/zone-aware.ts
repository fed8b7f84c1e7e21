/**
 * Zone-aware preference: calls stay in the caller's zone (lower latency, no cross-zone traffic
 * costs) while the zone is healthy enough, spill over to the other zones as it degrades, and
 * give up locality below a panic threshold.
 *
 * With `h` = offered / all instances of the local zone (offered: not critical, not ejected):
 * - h = 1: every call goes to the local zone;
 * - panicThreshold ≤ h < 1: a share h of the calls stays local, the rest spills to the other
 *   zones (the local zone keeps the share of the traffic its healthy part can carry);
 * - h < panicThreshold, or no local instance offered: locality is given up, every offered
 *   instance of every zone is used alike.
 * "Panic" here is about locality only: critical and ejected instances stay out (the balancer's rule).
 */
import type { Instance } from '../model.js';
import type { Picker, PickerInput, Strategy } from './balancer.js';
import { hash32 } from './hash32.js';
import { numberOption, optionsBag, randomOption } from './options.js';
import { InvalidArgumentError } from '../errors.js';

/** Options of {@link zoneAware}. */
export interface ZoneAwareOptions {
  /** The caller's zone (`Instance.zone` of the local instances). Required, not empty. */
  readonly zone: string;
  /** The strategy used within the chosen group of instances. Required. */
  readonly strategy: Strategy;
  /** Percent of the local zone that must be offered to keep preferring it, 0–100. Default 50. */
  readonly panicThreshold?: number;
  /**
   * Where each new picker starts its local/spill-over rotation, so that many clients do not
   * spill over in lockstep. Default: a fast generator seeded from the OS.
   */
  readonly random?: () => number;
}

/** Resolution of the local share: picks are split in 1/1024ths. */
const SCALE = 1024;

/**
 * Sends a share of the picks to `local`, the rest to `remote`: keyed picks by the key's hash (a
 * key keeps its side), the others by an error-diffusion counter that interleaves the two sides
 * evenly in the exact proportion (no random number per pick).
 */
class SpillPicker implements Picker {
  readonly instances: readonly Instance[];
  readonly #local: Picker;
  readonly #remote: Picker;
  /** The local share in 1/1024ths. */
  readonly #share: number;
  #credit: number;

  constructor(instances: readonly Instance[], local: Picker, remote: Picker, share: number, start: number) {
    this.instances = instances;
    this.#local = local;
    this.#remote = remote;
    this.#share = Math.round(share * SCALE);
    this.#credit = Math.floor(start * SCALE);
  }

  pick(key?: string): Instance | undefined {
    let local: boolean;
    if (key !== undefined) {
      local = hash32(key, 0x5a6f6e65) % SCALE < this.#share;
    } else {
      const credit = this.#credit + this.#share;
      local = credit >= SCALE;
      this.#credit = local ? credit - SCALE : credit;
    }
    // One call site for both sides: the JIT inlines the inner pick once, not twice.
    return (local ? this.#local : this.#remote).pick(key);
  }
}

/** The part of `input` whose indexes are listed. */
function subset(input: PickerInput, indexes: readonly number[]): PickerInput {
  return {
    ...input,
    instances: indexes.map((i) => input.instances[i]!),
    weights: indexes.map((i) => input.weights[i]!),
    loads: indexes.map((i) => input.loads[i]!),
  };
}

/**
 * Zone-aware preference around an inner strategy (see the file header for the rules). The
 * per-pick cost is the inner picker's, plus a counter step (or a key hash) while spilling over.
 * @throws InvalidArgumentError for a missing or bad option.
 */
export function zoneAware(options: ZoneAwareOptions): Strategy {
  const o = optionsBag('zoneAware', options, ['zone', 'strategy', 'panicThreshold', 'random']);
  if (typeof o.zone !== 'string' || o.zone === '') throw new InvalidArgumentError('zoneAware.zone', 'must be a non-empty string');
  const inner = o.strategy;
  if (typeof inner !== 'object' || inner === null || typeof inner.build !== 'function') {
    throw new InvalidArgumentError('zoneAware.strategy', 'must be a strategy, e.g. roundRobin()');
  }
  const zone = o.zone;
  const panic = numberOption('zoneAware.panicThreshold', o.panicThreshold, 50, 0, 100) / 100;
  const random = randomOption('zoneAware.random', o.random);
  const strategy: Strategy = {
    name: `zone-aware(${inner.name})`,
    build(input: PickerInput): Picker {
      let localAll = 0;
      for (const instance of input.all) if (instance.zone === zone) localAll++;
      const local: number[] = [];
      const remote: number[] = [];
      for (let i = 0; i < input.instances.length; i++) (input.instances[i]!.zone === zone ? local : remote).push(i);
      const share = localAll === 0 ? 0 : local.length / localAll;
      if (local.length === 0 || share < panic) return inner.build(input);
      if (share === 1 || remote.length === 0) return inner.build(subset(input, local));
      return new SpillPicker(input.instances, inner.build(subset(input, local)), inner.build(subset(input, remote)), share, random());
    },
  };
  if (inner.observe) strategy.observe = inner.observe.bind(inner);
  return strategy;
}
