/**
 * The index model of the catalog (spec §5.2): a global write counter (the Raft index stand-in)
 * and, per "table", the counter value of its last change. Per-service-name entries are keyed by
 * the lower-cased name and never removed (tombstones), so a watcher of a deleted service still
 * sees the index of its deletion. Every value handed out is ≥ 1.
 */

/** The key of one index: a table, or one service name (lower-cased). */
export type IndexKey = 'nodes' | 'services' | 'checks' | `service:${string}`;

/** The key of a service name's index. */
export function serviceKey(name: string): IndexKey {
  return `service:${name.toLowerCase()}`;
}

/** A persisted copy of every index. */
export interface IndexSnapshot {
  readonly current: number;
  readonly tables: Readonly<Record<string, number>>;
}

/** Current index values. Mutated only by a commit batch. */
export class Indexes {
  #current: number;
  readonly #values = new Map<IndexKey, number>();

  /** @param snapshot values restored from the store (a fresh store starts at 0). */
  constructor(snapshot: IndexSnapshot = { current: 0, tables: {} }) {
    this.#current = snapshot.current;
    for (const [key, value] of Object.entries(snapshot.tables)) this.#values.set(key as IndexKey, value);
  }

  /** The global counter: the index of the last change of anything. */
  get current(): number {
    return this.#current;
  }

  /** Allocates the index of a new change. */
  next(): number {
    this.#current += 1;
    return this.#current;
  }

  /** Records that `key` changed at `index`. */
  touch(key: IndexKey, index: number): void {
    this.#values.set(key, index);
  }

  /** The raw value of one key (0 when never changed). */
  get(key: IndexKey): number {
    return this.#values.get(key) ?? 0;
  }

  /** True when the service name was ever seen (it has an index entry, maybe a tombstone). */
  hasService(name: string): boolean {
    return this.#values.has(serviceKey(name));
  }

  /**
   * The index of everything about one service name (catalog/service, health/service,
   * health/checks): its own entry if ever seen, else max(nodes, services) so a watcher of a
   * service that does not exist yet wakes when it appears. At least 1.
   */
  forService(name: string): number {
    const own = this.#values.get(serviceKey(name));
    return atLeastOne(own ?? Math.max(this.get('nodes'), this.get('services')));
  }

  /** The index of a table, at least 1. */
  forTable(key: 'nodes' | 'services' | 'checks'): number {
    return atLeastOne(this.get(key));
  }

  /** Max of several keys, at least 1. */
  max(...keys: IndexKey[]): number {
    let m = 0;
    for (const k of keys) m = Math.max(m, this.get(k));
    return atLeastOne(m);
  }

  /** Every lower-cased service name with an index entry. */
  serviceNames(): IterableIterator<string> {
    const names: string[] = [];
    for (const key of this.#values.keys()) if (key.startsWith('service:')) names.push(key.slice(8));
    return names.values();
  }

  /** A copy for persisting. */
  snapshot(): IndexSnapshot {
    return { current: this.#current, tables: Object.fromEntries(this.#values) };
  }
}

/** Consul never hands out index 0: it would make clients' "changed?" test (0 == 0) fail. */
export function atLeastOne(index: number): number {
  return Math.max(index, 1);
}
