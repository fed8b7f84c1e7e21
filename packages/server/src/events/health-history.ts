/**
 * The health timeline the dashboard shows: per instance, its last transitions (registered, health
 * changes) since the server started, and per check when its status last changed. Fed from the
 * event stream; bounded (docs/limits.md): {@link HISTORY_TRANSITIONS} transitions and
 * {@link HISTORY_CHECKS} checks per instance, and an instance's entry goes with its deregistration.
 * Memory only: a restart starts a new history.
 *
 * Lean for a large fleet (D104): an instance registered passing that has had no transition since
 * has no entry at all; its "registered" transition is made on read from the instance's own
 * `createIndex` (see {@link transitionsOf}) and a coarse index→time log shared by all instances.
 * An entry that exists packs its transitions into one small `Float64Array` ring.
 */
import type { HealthStatus } from '@rosterjs/roster';
import type { RosterEvent } from './roster-event.js';

/** Transitions kept per instance (the oldest is dropped first). */
export const HISTORY_TRANSITIONS = 10;
/** Checks whose last change is kept per instance (and for the node's own checks). */
export const HISTORY_CHECKS = 64;
/** Samples of the shared index→time log (halved, every other one kept, when full). */
export const HISTORY_TIME_SAMPLES = 1024;

/** One transition of an instance's aggregated health. */
export interface HealthTransition {
  /** Clock time of the commit (ms). */
  readonly at: number;
  /** Catalog index of the change. */
  readonly index: number;
  /** The instance's aggregated health after it. */
  readonly health: HealthStatus;
  /** `register`: the instance was registered or changed; `health`: a check changed status. */
  readonly cause: 'register' | 'health';
  /** For `health`: the check that changed, and its new status. */
  readonly checkId?: string;
  readonly status?: HealthStatus;
}

/** When a check last changed status (since the server started). */
export interface CheckChange {
  readonly at: number;
  readonly index: number;
  readonly status: HealthStatus;
  readonly previous: HealthStatus;
}

/** What the read side knows of an instance: when it was created (catalog index). */
export interface HistoryInstance {
  readonly id: string;
  readonly createIndex: number;
}

const STATUSES: readonly HealthStatus[] = ['passing', 'warning', 'critical'];
const code = (s: HealthStatus): number => STATUSES.indexOf(s);

/**
 * One instance's entry. `ring` holds up to {@link HISTORY_TRANSITIONS} transitions, two numbers
 * each: the time, and `index * 32 + cause * 16 + status * 4 + health` (indexes stay far below
 * 2^48); `checkIds` holds the check of each `health` transition, same slot. `implicitStart`: the
 * entry began with a transition away from an unrecorded "registered passing" (made on read while
 * nothing was dropped).
 */
interface Entry {
  ring: Float64Array;
  checkIds: (string | undefined)[];
  start: number;
  count: number;
  implicitStart: boolean;
  checks: Map<string, CheckChange> | undefined;
}

const NO_CHECK_CHANGES: ReadonlyMap<string, CheckChange> = new Map();

/** The bounded per-instance health history. Listeners call {@link record}; routes read. */
export class HealthHistory {
  readonly #byInstance = new Map<string, Entry>();
  readonly #sinceIndex: number;
  /** Pairs (index, time), ascending; a sample at most once per second of clock time. */
  #times = new Float64Array(HISTORY_TIME_SAMPLES * 2);
  #timeCount = 0;

  /** @param sinceIndex the catalog index when the server started (older instances predate the history). */
  constructor(sinceIndex = 0) {
    this.#sinceIndex = sinceIndex;
  }

  /** Takes one event of the stream into the history. Never throws. */
  record(event: RosterEvent): void {
    this.#sampleTime(event.index, event.at);
    switch (event.type) {
      case 'register': {
        const id = event.instance.id;
        const health = event.instance.health;
        const entry = this.#byInstance.get(id);
        if (entry === undefined) {
          // Registered (or re-registered) passing with no transition yet: nothing to keep.
          if (health === 'passing') return;
          this.#push(this.#newEntry(id, event.updated), event.at, event.index, health, 'register');
          return;
        }
        // A re-registration that leaves the health as it was is no transition.
        if (entry.count === 0 || lastHealth(entry) !== health || !event.updated)
          this.#push(entry, event.at, event.index, health, 'register');
        return;
      }
      case 'deregister':
        this.#byInstance.delete(event.id);
        return;
      case 'health': {
        const known = this.#byInstance.get(event.serviceId);
        const entry = known ?? this.#newEntry(event.serviceId, true);
        const checks = (entry.checks ??= new Map());
        checks.delete(event.checkId);
        checks.set(event.checkId, { at: event.at, index: event.index, status: event.status, previous: event.previous });
        if (checks.size > HISTORY_CHECKS) checks.delete(checks.keys().next().value as string);
        if (event.serviceId === '') return;
        if (entry.count === 0 || lastHealth(entry) !== event.health)
          this.#push(entry, event.at, event.index, event.health, 'health', event.checkId, event.status);
        return;
      }
    }
  }

  /**
   * The transitions of an instance, oldest first (empty when none were seen since start). An
   * instance registered since start leads with its `register` transition; when no entry was kept
   * for it (registered passing, no change since), that transition is made here from its
   * `createIndex`, its time from the shared log (exact to the second while the log has not been
   * halved; never later than the registration).
   */
  transitionsOf(instance: HistoryInstance): readonly HealthTransition[] {
    const entry = this.#byInstance.get(instance.id);
    const out: HealthTransition[] = [];
    const since = instance.createIndex > this.#sinceIndex;
    if (since && (entry === undefined || (entry.implicitStart && entry.start === 0 && entry.count < HISTORY_TRANSITIONS))) {
      out.push({ at: this.#timeOf(instance.createIndex), index: instance.createIndex, health: 'passing', cause: 'register' });
    }
    if (entry === undefined) return out;
    for (let k = 0; k < entry.count; k++) {
      const slot = (entry.start + k) % HISTORY_TRANSITIONS;
      const packed = entry.ring[slot * 2 + 1]!;
      const bits = packed % 32;
      const cause = bits >= 16 ? 'health' : 'register';
      const t: HealthTransition = {
        at: entry.ring[slot * 2]!,
        index: (packed - bits) / 32,
        health: STATUSES[bits % 4]!,
        cause,
        ...(cause === 'health' ? { checkId: entry.checkIds[slot] ?? '', status: STATUSES[(bits >> 2) % 4]! } : {}),
      };
      out.push(t);
    }
    return out;
  }

  /** The last status changes of an instance's checks (`''`: the node's checks). */
  checkChangesOf(instanceId: string): ReadonlyMap<string, CheckChange> {
    return this.#byInstance.get(instanceId)?.checks ?? NO_CHECK_CHANGES;
  }

  /** Instances with an entry (the node's checks count as one). */
  get size(): number {
    return this.#byInstance.size;
  }

  #newEntry(id: string, implicitStart: boolean): Entry {
    const entry: Entry = { ring: EMPTY_RING, checkIds: [], start: 0, count: 0, implicitStart, checks: undefined };
    this.#byInstance.set(id, entry);
    return entry;
  }

  #push(
    entry: Entry,
    at: number,
    index: number,
    health: HealthStatus,
    cause: 'register' | 'health',
    checkId?: string,
    status?: HealthStatus,
  ): void {
    if (entry.ring === EMPTY_RING) entry.ring = new Float64Array(HISTORY_TRANSITIONS * 2);
    let slot: number;
    if (entry.count < HISTORY_TRANSITIONS) {
      slot = (entry.start + entry.count) % HISTORY_TRANSITIONS;
      entry.count++;
    } else {
      slot = entry.start;
      entry.start = (entry.start + 1) % HISTORY_TRANSITIONS;
    }
    entry.ring[slot * 2] = at;
    entry.ring[slot * 2 + 1] = index * 32 + (cause === 'health' ? 16 : 0) + code(status ?? 'passing') * 4 + code(health);
    entry.checkIds[slot] = cause === 'health' ? checkId : undefined;
  }

  #sampleTime(index: number, at: number): void {
    const n = this.#timeCount;
    if (n > 0 && (index <= this.#times[(n - 1) * 2]! || at - this.#times[(n - 1) * 2 + 1]! < 1000)) return;
    if (n === HISTORY_TIME_SAMPLES) {
      // Halve: keep every other sample (the first one always), so the log spans the whole uptime.
      for (let k = 0; k < n / 2; k++) {
        this.#times[k * 2] = this.#times[k * 4]!;
        this.#times[k * 2 + 1] = this.#times[k * 4 + 1]!;
      }
      this.#timeCount = n / 2;
    }
    this.#times[this.#timeCount * 2] = index;
    this.#times[this.#timeCount * 2 + 1] = at;
    this.#timeCount++;
  }

  /** The time of the last sample at or before `index` (the first sample's when none is). */
  #timeOf(index: number): number {
    let lo = 0;
    let hi = this.#timeCount - 1;
    if (hi < 0) return 0;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#times[mid * 2]! <= index) lo = mid;
      else hi = mid - 1;
    }
    return this.#times[lo * 2 + 1]!;
  }
}

const EMPTY_RING = new Float64Array(0);

function lastHealth(entry: Entry): HealthStatus {
  const slot = (entry.start + entry.count - 1) % HISTORY_TRANSITIONS;
  return STATUSES[entry.ring[slot * 2 + 1]! % 4]!;
}
