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

interface Entry {
  readonly transitions: HealthTransition[];
  readonly checks: Map<string, CheckChange>;
}

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
          push(entry.transitions, { at: event.at, index: event.index, health: event.instance.health, cause: 'register' });
        return;
      }
      case 'deregister':
        this.#byInstance.delete(event.id);
        return;
      case 'health': {
        const entry = this.#entry(event.serviceId);
        entry.checks.delete(event.checkId);
        entry.checks.set(event.checkId, { at: event.at, index: event.index, status: event.status, previous: event.previous });
        if (entry.checks.size > HISTORY_CHECKS) entry.checks.delete(entry.checks.keys().next().value as string);
        if (event.serviceId === '') return;
        const last = entry.transitions.at(-1);
        if (last === undefined || last.health !== event.health)
          push(entry.transitions, {
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
    return this.#byInstance.get(instanceId)?.checks ?? new Map();
  }

  /** Instances with an entry (the node's checks count as one). */
  get size(): number {
    return this.#byInstance.size;
  }

  #entry(id: string): Entry {
    let entry = this.#byInstance.get(id);
    if (entry === undefined) {
      entry = { transitions: [], checks: new Map() };
      this.#byInstance.set(id, entry);
    }
    return entry;
  }
}

function push(list: HealthTransition[], transition: HealthTransition): void {
  list.push(transition);
  if (list.length > HISTORY_TRANSITIONS) list.shift();
}
