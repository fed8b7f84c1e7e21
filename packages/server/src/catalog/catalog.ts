/**
 * The in-memory catalog of the single node: its services and checks, with lookups by service
 * name and by service ID, and the indexes. Requests read it directly. It is changed only through
 * a Batch (commit/batch.ts), which writes the same change to the store in the same
 * synchronous turn, so no request ever sees a change that is not committed.
 */
import type { HealthStatus } from '@rosterjs/roster';
import { addId, type IdSet, idsOf, removeId } from './id-set.js';
import { type IndexKey, Indexes, type IndexSnapshot } from './indexes.js';
import { RecordCompactor } from './record-compactor.js';
import { type CheckRecord, type NodeInfo, SERF_HEALTH_CHECK_ID, STATIC_DEFINITION, type InstanceRecord } from './types.js';

/** Initial contents of a catalog. */
export interface CatalogState {
  readonly node: NodeInfo;
  readonly instances: readonly InstanceRecord[];
  readonly checks: readonly CheckRecord[];
  readonly indexes: IndexSnapshot;
}

/** The single-node catalog in memory. */
export class Catalog {
  #node: NodeInfo;
  #indexes: Indexes;
  readonly #instances = new Map<string, InstanceRecord>();
  readonly #checks = new Map<string, CheckRecord>();
  /** Lower-cased service name → IDs of its instances. */
  readonly #byName = new Map<string, Set<string>>();
  /**
   * The instances of a name sorted by ID, built at the first read; a replaced record is swapped
   * into a copy (the list is never changed in place), an added or removed one drops the list.
   */
  readonly #sorted = new Map<string, readonly InstanceRecord[]>();
  /** Service ID → IDs of its checks (one ID as a plain string: catalog/id-set.ts). */
  readonly #checksOf = new Map<string, IdSet>();
  #serfHealth: CheckRecord;
  /** Per index key: a counter moved by every change of what the key covers, output included. */
  readonly #content = new Map<IndexKey, number>();
  #nodeChecks: readonly CheckRecord[] | undefined;
  /** The last value given to a key in {@link #content} (never reused, not even after a reset). */
  #contentSeq = 0;
  /** Moved by {@link reset} only: every key's version changes then, bumped or not. */
  #contentEpoch = 0;
  /** Shares the parts records have in common (names, tags, meta, definitions). */
  readonly #compactor = new RecordCompactor();

  constructor(state: CatalogState) {
    this.#node = state.node;
    this.#indexes = new Indexes(state.indexes);
    this.#serfHealth = serfHealth(state.node);
    this.#fill(state);
  }

  /** Replaces the whole contents (after a failed commit, from the store). */
  reset(state: CatalogState): void {
    this.#content.clear();
    this.#contentEpoch++;
    this.#nodeChecks = undefined;
    this.#instances.clear();
    this.#checks.clear();
    this.#byName.clear();
    this.#sorted.clear();
    this.#checksOf.clear();
    this.#compactor.clear();
    this.#node = state.node;
    this.#indexes = new Indexes(state.indexes);
    this.#serfHealth = serfHealth(state.node);
    this.#fill(state);
  }

  #fill(state: CatalogState): void {
    for (const s of state.instances) this.setInstance(s);
    for (const c of state.checks) this.setCheck(c);
  }

  /**
   * The content version of a key: changes whenever anything the key covers changes, including
   * check output, which does not move the index (spec §4.4), and after a {@link reset}; a change
   * of anything else leaves it as it was (D184). For caches of rendered answers.
   */
  contentVersion(key: IndexKey): string {
    return `${this.#contentEpoch}:${this.#content.get(key) ?? 0}`;
  }

  /** Marks the content of a key as changed (called by the Batch). */
  bumpContent(key: IndexKey): void {
    this.#content.set(key, ++this.#contentSeq);
  }

  get node(): NodeInfo {
    return this.#node;
  }

  get indexes(): Indexes {
    return this.#indexes;
  }

  /** Number of instances. */
  get instanceCount(): number {
    return this.#instances.size;
  }

  /** The instance with this ID. */
  instance(id: string): InstanceRecord | undefined {
    return this.#instances.get(id);
  }

  /** Every instance, in registration order. */
  instances(): IterableIterator<InstanceRecord> {
    return this.#instances.values();
  }

  /** Instances of one service name (case-insensitive), sorted by ID. */
  instancesOf(name: string): readonly InstanceRecord[] {
    const key = name.toLowerCase();
    const cached = this.#sorted.get(key);
    if (cached) return cached;
    const ids = this.#byName.get(key);
    if (!ids) return NO_INSTANCES;
    const out: InstanceRecord[] = [];
    for (const id of ids) {
      const s = this.#instances.get(id);
      if (s) out.push(s);
    }
    out.sort((a, b) => compare(a.id, b.id));
    this.#sorted.set(key, out);
    return out;
  }

  /** Distinct lower-cased names of the services that have instances. */
  serviceNames(): IterableIterator<string> {
    return this.#byName.keys();
  }

  check(id: string): CheckRecord | undefined {
    return id === SERF_HEALTH_CHECK_ID ? this.#serfHealth : this.#checks.get(id);
  }

  /** Every check of the node, node checks (serfHealth first) then the rest, in insertion order. */
  *checks(): IterableIterator<CheckRecord> {
    yield this.#serfHealth;
    yield* this.#checks.values();
  }

  /**
   * Node-level checks (serfHealth, node maintenance, standalone node checks), sorted by ID.
   * Cached: every health answer and every aggregated health needs them.
   */
  nodeChecks(): readonly CheckRecord[] {
    if (this.#nodeChecks) return this.#nodeChecks;
    const out = [this.#serfHealth];
    for (const id of idsOf(this.#checksOf, '')) out.push(this.#checks.get(id)!);
    this.#nodeChecks = out.sort((a, b) => compare(a.id, b.id));
    return this.#nodeChecks;
  }

  /** Checks of one service instance, sorted by ID (a new array, or a shared empty one). */
  checksOf(serviceId: string): readonly CheckRecord[] {
    if (serviceId === '') return NO_CHECKS;
    const ids = this.#checksOf.get(serviceId);
    // Read on every entry of a big read: no iterator and no second array for the usual 0 or 1 check.
    if (ids === undefined) return NO_CHECKS;
    if (typeof ids === 'string') return [this.#checks.get(ids)!];
    const out: CheckRecord[] = [];
    for (const id of ids) out.push(this.#checks.get(id)!);
    return out.sort((a, b) => compare(a.id, b.id));
  }

  /**
   * Inserts or replaces an instance (memory only; for the commit's Batch and start-up). Returns
   * the record as stored: equal to `given`, with the parts it has in common with other records
   * shared (catalog/record-compactor.ts).
   */
  setInstance(given: InstanceRecord): InstanceRecord {
    const record = this.#compactor.instance(given);
    const previous = this.#instances.get(record.id);
    if (previous && previous.name.toLowerCase() !== record.name.toLowerCase()) this.#unlinkName(previous);
    this.#instances.set(record.id, record);
    const key = record.name.toLowerCase();
    this.#resort(key, previous && previous.name.toLowerCase() === key ? record : undefined);
    let ids = this.#byName.get(key);
    if (!ids) {
      ids = new Set();
      this.#byName.set(key, ids);
    }
    ids.add(record.id);
    return record;
  }

  /** Removes an instance (memory only; its checks are removed separately). */
  removeInstance(id: string): void {
    const previous = this.#instances.get(id);
    if (!previous) return;
    this.#instances.delete(id);
    this.#unlinkName(previous);
  }

  /** Inserts or replaces a check (memory only). Returns the record as stored (see {@link setInstance}). */
  setCheck(given: CheckRecord): CheckRecord {
    if (given.id === SERF_HEALTH_CHECK_ID) return this.#serfHealth;
    const record = this.#compactor.check(given);
    const previous = this.#checks.get(record.id);
    if (record.serviceId === '' || previous?.serviceId === '') this.#nodeChecks = undefined;
    if (previous && previous.serviceId !== record.serviceId) this.#unlinkCheck(previous);
    this.#checks.set(record.id, record);
    addId(this.#checksOf, record.serviceId, record.id);
    return record;
  }

  /** Removes a check (memory only). */
  removeCheck(id: string): void {
    const previous = this.#checks.get(id);
    if (!previous) return;
    if (previous.serviceId === '') this.#nodeChecks = undefined;
    this.#checks.delete(id);
    this.#unlinkCheck(previous);
  }

  /** Aggregated status of an instance's checks plus the node checks (worst wins). */
  healthOf(serviceId: string): HealthStatus {
    let worst: HealthStatus = 'passing';
    for (const c of this.nodeChecks()) worst = worse(worst, c.status);
    for (const c of this.checksOf(serviceId)) worst = worse(worst, c.status);
    return worst;
  }

  /** Keeps the sorted list of `key` true: swaps `replaced` in, else drops the list. */
  #resort(key: string, replaced: InstanceRecord | undefined): void {
    const list = this.#sorted.get(key);
    if (!list) return;
    const i = replaced ? indexById(list, replaced.id) : -1;
    if (i < 0) {
      this.#sorted.delete(key);
      return;
    }
    const copy = list.slice();
    copy[i] = replaced!;
    this.#sorted.set(key, copy);
  }

  #unlinkName(record: InstanceRecord): void {
    const key = record.name.toLowerCase();
    this.#sorted.delete(key);
    const ids = this.#byName.get(key);
    ids?.delete(record.id);
    if (ids?.size === 0) this.#byName.delete(key);
  }

  #unlinkCheck(record: CheckRecord): void {
    removeId(this.#checksOf, record.serviceId, record.id);
  }
}

function serfHealth(node: NodeInfo): CheckRecord {
  return {
    id: SERF_HEALTH_CHECK_ID,
    name: 'Serf Health Status',
    notes: '',
    serviceId: '',
    status: 'passing',
    output: 'Agent alive and reachable',
    definition: STATIC_DEFINITION,
    createIndex: node.createIndex,
    modifyIndex: node.createIndex,
  };
}

/** The worse of two statuses. */
export function worse(a: HealthStatus, b: HealthStatus): HealthStatus {
  if (a === 'critical' || b === 'critical') return 'critical';
  if (a === 'warning' || b === 'warning') return 'warning';
  return 'passing';
}

const NO_INSTANCES: readonly InstanceRecord[] = Object.freeze([]);
const NO_CHECKS: readonly CheckRecord[] = Object.freeze([]);

/** Position of `id` in a list sorted by ID, -1 when absent. */
function indexById(list: readonly InstanceRecord[], id: string): number {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = compare(list[mid]!.id, id);
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
