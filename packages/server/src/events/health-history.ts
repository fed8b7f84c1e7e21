/**
 * The health timeline the dashboard shows: per instance, its last transitions (registered, health
 * changes) since the server started, and per check when its status last changed. Fed from the
 * event stream; bounded (docs/limits.md): {@link HISTORY_TRANSITIONS} transitions and
 * {@link HISTORY_CHECKS} checks per instance, and an instance's entry goes with its deregistration.
 * Memory only: a restart starts a new history.
 */
import type { HealthStatus } from '@rosterjs/roster';
import type { RosterEvent } from './roster-event.js';

/** Transitions kept per instance (the oldest is dropped first). */
export const HISTORY_TRANSITIONS = 10;
/** Checks whose last change is kept per instance (and for the node's own checks). */
export const HISTORY_CHECKS = 64;

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

/**
 * Lean for a large fleet (one entry per registered instance): the check map is made at the first
 * check change, and the transition list starts as a one-element array (an empty array literal
 * grows to 17 slots at its first push).
 */
interface Entry {
  transitions: HealthTransition[];
  checks: Map<string, CheckChange> | undefined;
}

const NO_CHECK_CHANGES: ReadonlyMap<string, CheckChange> = new Map();

/** The bounded per-instance health history. Listeners call {@link record}; routes read. */
export class HealthHistory {
  readonly #byInstance = new Map<string, Entry>();

  /** Takes one event of the stream into the history. Never throws. */
  record(event: RosterEvent): void {
    switch (event.type) {
      case 'register': {
        const entry = this.#entry(event.instance.id);
        const last = entry.transitions.at(-1);
        // A re-registration that leaves the health as it was is no transition.
        if (last === undefined || last.health !== event.instance.health || !event.updated)
          push(entry, { at: event.at, index: event.index, health: event.instance.health, cause: 'register' });
        return;
      }
      case 'deregister':
        this.#byInstance.delete(event.id);
        return;
      case 'health': {
        const entry = this.#entry(event.serviceId);
        const checks = (entry.checks ??= new Map());
        checks.delete(event.checkId);
        checks.set(event.checkId, { at: event.at, index: event.index, status: event.status, previous: event.previous });
        if (checks.size > HISTORY_CHECKS) checks.delete(checks.keys().next().value as string);
        if (event.serviceId === '') return;
        const last = entry.transitions.at(-1);
        if (last === undefined || last.health !== event.health)
          push(entry, {
            at: event.at,
            index: event.index,
            health: event.health,
            cause: 'health',
            checkId: event.checkId,
            status: event.status,
          });
        return;
      }
    }
  }

  /** The transitions of an instance, oldest first (empty when none were seen since start). */
  transitionsOf(instanceId: string): readonly HealthTransition[] {
    return this.#byInstance.get(instanceId)?.transitions ?? [];
  }

  /** The last status changes of an instance's checks (`''`: the node's checks). */
  checkChangesOf(instanceId: string): ReadonlyMap<string, CheckChange> {
    return this.#byInstance.get(instanceId)?.checks ?? NO_CHECK_CHANGES;
  }

  /** Instances with an entry (the node's checks count as one). */
  get size(): number {
    return this.#byInstance.size;
  }

  #entry(id: string): Entry {
    let entry = this.#byInstance.get(id);
    if (entry === undefined) {
      entry = { transitions: [], checks: undefined };
      this.#byInstance.set(id, entry);
    }
    return entry;
  }
}

function push(entry: Entry, transition: HealthTransition): void {
  const list = entry.transitions;
  if (list.length === 0) {
    entry.transitions = [transition];
    return;
  }
  list.push(transition);
  if (list.length > HISTORY_TRANSITIONS) list.shift();
}
