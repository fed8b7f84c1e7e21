/**
 * The Resolver's ride-through rule (decisions D50–D52): after a registry fault, a snapshot that
 * takes most of a service's usable instances away at once is not believed at once. The last
 * good list keeps being served (stale) for a bounded grace, until the registry confirms the loss
 * by still saying so when the grace ends, or the instances reappear. A registry that restarted
 * empty, an index that went backwards, a restored old store: all look like "everything was
 * deregistered at once" to a watch, and all come right within seconds as the instances' leases
 * register them again.
 *
 * Pure and clock-free: callers pass `now` and arm their own timer for {@link Verdict.until}.
 */
import { type Check, duration, either, literal, number, object, withDefault } from '../internal/options.js';

/** Settings of {@link RideThrough}. */
export interface RideThroughSettings {
  /** How long a suspicious snapshot is held back, ms. 0 turns ride-through off. */
  readonly graceMs: number;
  /**
   * Largest share (0–1) of the last published usable instances that may vanish in one snapshot
   * after a fault and still be believed at once. Losing more than this is suspicious.
   */
  readonly maxDrop: number;
}

/** Defaults (D51, D52): 5 s covers the agent's worst re-registration with its default 10 s TTL. */
export const RIDE_THROUGH_DEFAULTS: RideThroughSettings = { graceMs: 5000, maxDrop: 0.5 };

/** The user-facing option: `false` (off) or `{ graceMs?, maxDrop? }` (durations as ms or Go strings). */
export type RideThroughOption = false | { readonly graceMs?: number | string; readonly maxDrop?: number };

/** Validates the `rideThrough` option (grace at most 10 min) into settings; `false` → grace 0. */
export const rideThroughOption: Check<RideThroughSettings> = withDefault(
  either(
    (value, path) => (literal(false)(value, path), { graceMs: 0, maxDrop: RIDE_THROUGH_DEFAULTS.maxDrop }),
    object({
      graceMs: withDefault(duration(0, 600_000), RIDE_THROUGH_DEFAULTS.graceMs),
      maxDrop: withDefault(number(0, 1), RIDE_THROUGH_DEFAULTS.maxDrop),
    }),
  ),
  RIDE_THROUGH_DEFAULTS,
);

/** What to do with an offered snapshot. */
export type Verdict =
  /** Publish it now. */
  | { readonly action: 'publish' }
  /** Keep serving the last published list; call {@link RideThrough.expire} at `until`. */
  | { readonly action: 'hold'; readonly until: number };

/** The part of an instance the rule looks at. */
interface Member {
  readonly id: string;
  readonly health: string;
}

/** The part of a snapshot the rule looks at. */
export interface Membership {
  readonly instances: readonly Member[];
}

const PUBLISH: Verdict = { action: 'publish' };

/** Ids of the instances a balancer would use (critical ones it leaves out). */
function usable(snapshot: Membership): Set<string> {
  const ids = new Set<string>();
  for (const i of snapshot.instances) if (i.health !== 'critical') ids.add(i.id);
  return ids;
}

/**
 * The state of the rule for one service. `fault()` when the watch failed, restarted or saw the
 * registry's index go backwards; `offer()` each snapshot the registry sends; `expire()` when the
 * grace of a held snapshot is over.
 */
export class RideThrough {
  readonly #settings: RideThroughSettings;
  #suspect = false;
  #until: number | undefined;

  constructor(settings: RideThroughSettings) {
    this.#settings = settings;
  }

  /** A registry fault was seen: the next snapshots are checked until one is believed. */
  fault(): void {
    if (this.#settings.graceMs > 0) this.#suspect = true;
  }

  /** True after a fault, until a snapshot was believed or a held one expired. */
  get suspect(): boolean {
    return this.#suspect;
  }

  /** True while a snapshot is held back. */
  get holding(): boolean {
    return this.#until !== undefined;
  }

  /**
   * Judges `next` against the last published snapshot. On a healthy watch (no fault since the
   * last believed snapshot) everything is published at once: deliberate removals stay instant.
   * After a fault, a snapshot keeping fewer than `1 - maxDrop` of the usable instances is held
   * until `until` (the grace counts from the first held snapshot, so a registry that keeps
   * changing cannot extend it); any other snapshot is published and ends the suspicion.
   */
  offer(published: Membership | undefined, next: Membership, now: number): Verdict {
    if (!this.#suspect) return PUBLISH;
    const before = published ? usable(published) : new Set<string>();
    if (before.size > 0) {
      const after = usable(next);
      let lost = 0;
      for (const id of before) if (!after.has(id)) lost++;
      if (lost > this.#settings.maxDrop * before.size) {
        this.#until ??= now + this.#settings.graceMs;
        return { action: 'hold', until: this.#until };
      }
    }
    this.#suspect = false;
    this.#until = undefined;
    return PUBLISH;
  }

  /**
   * True when a held snapshot's grace is over at `now`: the registry confirmed the loss, publish
   * the newest held snapshot. The rule is then back to normal (no longer suspect).
   */
  expire(now: number): boolean {
    if (this.#until === undefined || now < this.#until) return false;
    this.#until = undefined;
    this.#suspect = false;
    return true;
  }
}
