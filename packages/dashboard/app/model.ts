/**
 * The registry as the page holds it: every instance (health aggregated as the server does) and
 * per service its counts by health and its tags, kept up to date event by event (no reload per
 * event). Views subscribe; notifications are coalesced to at most one per animation frame, and
 * each view renders only its visible rows.
 */
import { asHealth, maintenanceCheckId, worst } from './health.js';
import type { AgentCheck, AgentService, HealthStatus, RosterEvent } from './wire.js';

/** One instance in the page. */
export interface InstanceRow {
  readonly id: string;
  readonly service: string;
  readonly tags: readonly string[];
  readonly health: HealthStatus;
  readonly maintenance: boolean;
}

/** One service in the services view. */
export interface ServiceRow {
  readonly name: string;
  readonly total: number;
  readonly passing: number;
  readonly warning: number;
  readonly critical: number;
  /** Tags of its instances, sorted. */
  readonly tags: readonly string[];
}

/** One line of the events view. */
export interface EventRow {
  readonly seq: number;
  readonly event: RosterEvent;
}

/** Events kept for the events view (the oldest go first). */
export const EVENT_LOG_SIZE = 2000;

interface ServiceAgg {
  passing: number;
  warning: number;
  critical: number;
  readonly tagCounts: Map<string, number>;
}

/** The page's registry state. */
export class RegistryModel {
  readonly #instances = new Map<string, InstanceRow>();
  readonly #services = new Map<string, ServiceAgg>();
  readonly #listeners = new Set<() => void>();
  readonly #serviceVersions = new Map<string, number>();
  #buffer: RosterEvent[] | undefined;
  #events: EventRow[] = [];
  #seq = 0;
  #version = 0;
  #rows: { version: number; rows: ServiceRow[] } | undefined;
  #frame = false;
  /** True after the first snapshot was loaded. */
  loaded = false;
  /** The last snapshot was filtered by the ACL (the token sees only part of the registry). */
  filtered = false;
  /** Called when a node check changes (it touches every instance): the caller reloads. */
  onNodeCheck: () => void = () => {};

  /** Changes with every applied change. */
  get version(): number {
    return this.#version;
  }

  /** Changes whenever something of service `name` changed. */
  serviceVersion(name: string): number {
    return this.#serviceVersions.get(name) ?? 0;
  }

  /** Subscribes to changes (coalesced per animation frame); returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Events arriving from now on wait until {@link finishLoad} (the stream is open, the snapshot on its way). */
  beginLoad(): void {
    this.#buffer ??= [];
  }

  /**
   * Replaces the state by a snapshot (`/v1/agent/services` + `/v1/agent/checks`), then applies
   * the events that arrived while it was loading, in order (each carries absolute state, so
   * the result is the server's state after the last of them).
   */
  finishLoad(services: Readonly<Record<string, AgentService>>, checks: Readonly<Record<string, AgentCheck>>, filtered: boolean): void {
    const byInstance = new Map<string, HealthStatus[]>();
    const nodeStatuses: HealthStatus[] = [];
    const inMaintenance = new Set<string>();
    for (const check of Object.values(checks)) {
      const status = asHealth(check.Status);
      if (check.ServiceID === '') nodeStatuses.push(status);
      else {
        const list = byInstance.get(check.ServiceID) ?? [];
        list.push(status);
        byInstance.set(check.ServiceID, list);
        if (check.CheckID === maintenanceCheckId(check.ServiceID)) inMaintenance.add(check.ServiceID);
      }
    }
    const nodeHealth = worst(nodeStatuses);
    this.#instances.clear();
    this.#services.clear();
    for (const s of Object.values(services)) {
      this.#put({
        id: s.ID,
        service: s.Service,
        tags: s.Tags ?? [],
        health: worst([nodeHealth, ...(byInstance.get(s.ID) ?? [])]),
        maintenance: inMaintenance.has(s.ID),
      });
    }
    for (const name of this.#services.keys()) this.#touchService(name);
    const buffered = this.#buffer ?? [];
    this.#buffer = undefined;
    for (const event of buffered) this.#apply(event);
    this.loaded = true;
    this.filtered = filtered;
    this.#changed();
  }

  /** Applies one event of the stream (buffered while a snapshot loads). */
  apply(event: RosterEvent): void {
    this.#log(event);
    if (this.#buffer !== undefined) this.#buffer.push(event);
    else this.#apply(event);
    this.#changed();
  }

  /** The services, worst first (most critical, then most warning), then by name; cached per version. */
  services(): readonly ServiceRow[] {
    if (this.#rows?.version === this.#version) return this.#rows.rows;
    const rows: ServiceRow[] = [];
    for (const [name, agg] of this.#services) {
      rows.push({
        name,
        total: agg.passing + agg.warning + agg.critical,
        passing: agg.passing,
        warning: agg.warning,
        critical: agg.critical,
        tags: [...agg.tagCounts.keys()].sort(),
      });
    }
    rows.sort((a, b) => b.critical - a.critical || b.warning - a.warning || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.#rows = { version: this.#version, rows };
    return rows;
  }

  /** The instances of a service (as the page knows them). */
  instancesOf(name: string): InstanceRow[] {
    const out: InstanceRow[] = [];
    for (const i of this.#instances.values()) if (i.service === name) out.push(i);
    return out;
  }

  /** The events received since the page opened (bounded), newest last. */
  events(): readonly EventRow[] {
    return this.#events;
  }

  #apply(event: RosterEvent): void {
    switch (event.type) {
      case 'register': {
        const i = event.instance;
        const old = this.#instances.get(i.id);
        this.#put({ id: i.id, service: i.service, tags: i.tags, health: asHealth(i.health), maintenance: old?.maintenance ?? false });
        return;
      }
      case 'deregister':
        this.#remove(event.id);
        return;
      case 'health': {
        if (event.serviceId === '') {
          this.onNodeCheck();
          return;
        }
        const old = this.#instances.get(event.serviceId);
        if (old === undefined) return;
        const maintenance = event.checkId === maintenanceCheckId(old.id) ? event.status !== 'passing' : old.maintenance;
        this.#put({ ...old, health: asHealth(event.health), maintenance });
        return;
      }
    }
  }

  #put(row: InstanceRow): void {
    this.#remove(row.id);
    this.#instances.set(row.id, row);
    let agg = this.#services.get(row.service);
    if (agg === undefined) {
      agg = { passing: 0, warning: 0, critical: 0, tagCounts: new Map() };
      this.#services.set(row.service, agg);
    }
    agg[row.health]++;
    for (const tag of new Set(row.tags)) agg.tagCounts.set(tag, (agg.tagCounts.get(tag) ?? 0) + 1);
    this.#touchService(row.service);
  }

  #remove(id: string): void {
    const old = this.#instances.get(id);
    if (old === undefined) return;
    this.#instances.delete(id);
    const agg = this.#services.get(old.service);
    this.#touchService(old.service);
    if (agg === undefined) return;
    agg[old.health]--;
    for (const tag of new Set(old.tags)) {
      const n = (agg.tagCounts.get(tag) ?? 1) - 1;
      if (n <= 0) agg.tagCounts.delete(tag);
      else agg.tagCounts.set(tag, n);
    }
    if (agg.passing + agg.warning + agg.critical === 0) this.#services.delete(old.service);
  }

  #touchService(name: string): void {
    this.#serviceVersions.set(name, (this.#serviceVersions.get(name) ?? 0) + 1);
  }

  #log(event: RosterEvent): void {
    this.#events.push({ seq: ++this.#seq, event });
    if (this.#events.length > EVENT_LOG_SIZE * 1.25) this.#events = this.#events.slice(-EVENT_LOG_SIZE);
  }

  #changed(): void {
    this.#version++;
    if (this.#frame) return;
    this.#frame = true;
    requestAnimationFrame(() => {
      this.#frame = false;
      for (const listener of [...this.#listeners]) listener();
    });
  }
}
