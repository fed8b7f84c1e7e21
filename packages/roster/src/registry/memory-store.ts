/**
 * MemoryStore: the state behind the memory backend — instances per service, TTL expiry on an
 * injected clock, revisions, and change notification. Several `memoryRegistry` clients may
 * share one store, as several processes share one real registry.
 *
 * Like etcd, it runs no active checks: HTTP and TCP checks are kept as data; an instance's
 * health is what it reports (`Lease.setHealth`), made critical when a TTL check is not renewed.
 * A registration with a `ttl` that is not renewed in time is removed (a lease expiry).
 */
import { type Clock, systemClock, type TimerHandle } from '../clock.js';
import * as v from '../internal/options.js';
import { byId, type HealthStatus, type Instance, type NormalizedRegistration, type Snapshot, toInstance } from '../model.js';

interface Entry {
  readonly reg: NormalizedRegistration;
  health: HealthStatus;
  /** When an unrenewed registration is removed (0 = never). */
  expiresAt: number;
  /** When unrenewed TTL checks turn critical (0 = no TTL check). */
  checksDueAt: number;
  checksExpired: boolean;
  instance: Instance;
  timer: TimerHandle | undefined;
}

type Listener = (snapshot: Snapshot) => void;

/** Shared in-process registry state. */
export class MemoryStore {
  /** The clock expiries run on; clients of this store use it too. */
  readonly clock: Clock;
  readonly #services = new Map<string, Map<string, Entry>>();
  readonly #revisions = new Map<string, number>();
  readonly #listeners = new Map<string, Set<Listener>>();
  #revision = 0;

  constructor(options: { clock?: Clock } = {}) {
    this.clock = v.options(options, { clock: v.withDefault(v.clock, systemClock) }, 'store').clock;
  }

  /** Adds or replaces an instance; returns it as stored. */
  put(reg: NormalizedRegistration, health: HealthStatus): Instance {
    const instances = this.#instances(reg.service, true);
    const old = instances.get(reg.id);
    if (old?.timer !== undefined) this.clock.clearTimeout(old.timer);
    const ttlCheckMs = Math.min(...reg.checks.map((c) => (c.kind === 'ttl' ? c.ttlMs : Number.POSITIVE_INFINITY)));
    const now = this.clock.now();
    const entry: Entry = {
      reg,
      health,
      expiresAt: reg.ttlMs > 0 ? now + reg.ttlMs : 0,
      checksDueAt: Number.isFinite(ttlCheckMs) ? now + ttlCheckMs : 0,
      checksExpired: false,
      instance: toInstance(reg, health),
      timer: undefined,
    };
    instances.set(reg.id, entry);
    this.#arm(entry);
    this.#changed(reg.service);
    return entry.instance;
  }

  /** Removes an instance; false when there was none. */
  remove(service: string, id: string): boolean {
    const entry = this.#services.get(service)?.get(id);
    if (!entry) return false;
    this.#drop(entry);
    return true;
  }

  /** Renews TTLs and stores the reported health; false when the instance is unknown. */
  renew(service: string, id: string, health: HealthStatus): boolean {
    const entry = this.#services.get(service)?.get(id);
    if (!entry) return false;
    const now = this.clock.now();
    if (entry.reg.ttlMs > 0) entry.expiresAt = now + entry.reg.ttlMs;
    if (entry.checksDueAt > 0) {
      const ttl = Math.min(...entry.reg.checks.map((c) => (c.kind === 'ttl' ? c.ttlMs : Number.POSITIVE_INFINITY)));
      entry.checksDueAt = now + ttl;
    }
    entry.checksExpired = false;
    entry.health = health;
    this.#arm(entry);
    this.#refresh(entry);
    return true;
  }

  /** The current state of a service. */
  snapshot(service: string): Snapshot {
    const entries = this.#services.get(service);
    const instances = entries ? [...entries.values()].map((e) => e.instance).sort(byId) : [];
    return { service, instances, revision: this.#revisions.get(service) ?? 0 };
  }

  /** Names of services with at least one instance, sorted. */
  services(): string[] {
    return [...this.#services.keys()].sort();
  }

  /** Calls `listener` with the new snapshot after every change of `service`. */
  subscribe(service: string, listener: Listener): () => void {
    let set = this.#listeners.get(service);
    if (!set) {
      set = new Set();
      this.#listeners.set(service, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(service);
    };
  }

  #instances(service: string, create: true): Map<string, Entry>;
  #instances(service: string, create: boolean): Map<string, Entry> | undefined {
    let map = this.#services.get(service);
    if (!map && create) {
      map = new Map();
      this.#services.set(service, map);
    }
    return map;
  }

  #drop(entry: Entry): void {
    if (entry.timer !== undefined) this.clock.clearTimeout(entry.timer);
    const map = this.#services.get(entry.reg.service);
    map?.delete(entry.reg.id);
    if (map?.size === 0) this.#services.delete(entry.reg.service);
    this.#changed(entry.reg.service);
  }

  /** Schedules the entry's next deadline (removal or TTL-check expiry). */
  #arm(entry: Entry): void {
    if (entry.timer !== undefined) this.clock.clearTimeout(entry.timer);
    entry.timer = undefined;
    const deadlines = [entry.expiresAt, entry.checksExpired ? 0 : entry.checksDueAt].filter((d) => d > 0);
    if (deadlines.length === 0) return;
    const due = Math.min(...deadlines);
    entry.timer = this.clock.setTimeout(() => this.#expire(entry), due - this.clock.now());
  }

  #expire(entry: Entry): void {
    entry.timer = undefined;
    if (this.#services.get(entry.reg.service)?.get(entry.reg.id) !== entry) return;
    const now = this.clock.now();
    if (entry.expiresAt > 0 && now >= entry.expiresAt) {
      this.#drop(entry);
      return;
    }
    if (entry.checksDueAt > 0 && now >= entry.checksDueAt) entry.checksExpired = true;
    this.#arm(entry);
    this.#refresh(entry);
  }

  /** Recomputes the instance; notifies only when it changed. */
  #refresh(entry: Entry): void {
    const health: HealthStatus = entry.checksExpired ? 'critical' : entry.health;
    if (health === entry.instance.health) return;
    entry.instance = toInstance(entry.reg, health);
    this.#changed(entry.reg.service);
  }

  #changed(service: string): void {
    this.#revision += 1;
    this.#revisions.set(service, this.#revision);
    const listeners = this.#listeners.get(service);
    if (!listeners) return;
    const snapshot = this.snapshot(service);
    for (const listener of [...listeners]) listener(snapshot);
  }
}
