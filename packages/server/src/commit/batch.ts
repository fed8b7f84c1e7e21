/**
 * A Batch applies changes to the catalog in memory and to the store inside one store
 * transaction, allocates their indexes, and records what changed (for after the commit).
 * Only the Committer creates batches. Operations (see operations/) first check everything that
 * can refuse the request and only then call the mutators here, so a refused operation leaves
 * nothing half done.
 */
import type { Catalog } from '../catalog/catalog.js';
import type { CatalogChange, RemovalReason } from '../catalog/change.js';
import { type IndexKey, serviceKey } from '../catalog/indexes.js';
import {
  type CheckInput,
  type CheckRecord,
  checkRecord,
  type InstanceInput,
  type InstanceRecord,
  instanceRecord,
} from '../catalog/types.js';
import type { Store } from '../store/store.js';

/**
 * Thrown by a storeless batch (see {@link Batch} `storeless`) when an operation would allocate an
 * index, i.e. change the store: the operation must run in a real commit instead. Thrown before
 * the mutator changes anything.
 */
export class NeedsCommit extends Error {
  constructor() {
    super('the operation changes the store');
    this.name = 'NeedsCommit';
  }
}

/** The mutation context of one group commit. */
export class Batch {
  readonly #catalog: Catalog;
  readonly #store: Store;
  readonly #storeless: boolean;
  #opIndex: number | undefined;
  /** Index keys changed by this batch (waiters on them are woken after the commit). */
  readonly touched = new Set<IndexKey>();
  /** Changes in order. */
  readonly changes: CatalogChange[] = [];
  /** Rows written to the store. */
  writes = 0;

  /**
   * With `storeless`, the batch runs outside any store transaction and only allows changes that
   * write nothing (output-only check updates); any other change throws {@link NeedsCommit}.
   */
  constructor(catalog: Catalog, store: Store, storeless = false) {
    this.#catalog = catalog;
    this.#store = store;
    this.#storeless = storeless;
  }

  /** The catalog, for operations to read while deciding. */
  get catalog(): Catalog {
    return this.#catalog;
  }

  /** Starts the next operation: its changes share one new index (allocated on first use). */
  beginOperation(): void {
    this.#opIndex = undefined;
  }

  #index(): number {
    if (this.#storeless) throw new NeedsCommit();
    if (this.#opIndex === undefined) this.#opIndex = this.#catalog.indexes.next();
    return this.#opIndex;
  }

  #touch(key: IndexKey, index: number): void {
    this.#catalog.indexes.touch(key, index);
    this.#catalog.bumpContent(key);
    this.touched.add(key);
  }

  /** An output-only change: cached answers go stale, but no index moves and nobody wakes. */
  #touchContent(check: CheckRecord): void {
    this.#catalog.bumpContent('checks');
    if (check.serviceId === '') {
      for (const name of [...this.#catalog.serviceNames()]) this.#catalog.bumpContent(`service:${name}`);
      return;
    }
    const owner = this.#catalog.instance(check.serviceId);
    if (owner) this.#catalog.bumpContent(serviceKey(owner.name));
  }

  /** Touches the index of every live service name: a node-level check changed. */
  #touchAllServices(index: number): void {
    for (const name of [...this.#catalog.serviceNames()]) this.#touch(`service:${name}`, index);
  }

  /** Inserts or replaces a service instance. An identical re-registration writes nothing. */
  putInstance(input: InstanceInput): InstanceRecord {
    const previous = this.#catalog.instance(input.id);
    if (previous && sameService(previous, input)) return previous;
    const index = this.#index();
    const record = this.#catalog.setInstance(instanceRecord(input, previous?.createIndex ?? index, index));
    this.#store.putInstance(record, previous === undefined);
    this.writes++;
    this.#touch('services', index);
    this.#touch(serviceKey(record.name), index);
    if (previous && previous.name !== record.name) this.#touch(serviceKey(previous.name), index);
    this.changes.push({ kind: 'service-put', index, service: record, previous });
    return record;
  }

  /** Removes a service instance (its checks must be removed with {@link deleteCheck}). */
  deleteInstance(id: string, reason: RemovalReason): void {
    const previous = this.#catalog.instance(id);
    if (!previous) return;
    const index = this.#index();
    this.#catalog.removeInstance(id);
    this.#store.deleteInstance(previous);
    this.writes++;
    this.#touch('services', index);
    this.#touch(serviceKey(previous.name), index);
    this.changes.push({ kind: 'service-delete', index, service: previous, reason });
  }

  /**
   * Inserts or replaces a check. A change of output only (same status, definition, name,
   * notes, service) is applied in memory without an index bump or a store write (spec §4.4).
   */
  putCheck(input: CheckInput): CheckRecord {
    const previous = this.#catalog.check(input.id);
    if (previous && sameCheck(previous, input)) {
      if (previous.output === input.output) return previous;
      const record = this.#catalog.setCheck(checkRecord({ ...previous, output: input.output }, previous.createIndex, previous.modifyIndex));
      this.#touchContent(record);
      return record;
    }
    const index = this.#index();
    const record = this.#catalog.setCheck(checkRecord(input, previous?.createIndex ?? index, index));
    this.#store.putCheck(record, previous === undefined);
    this.writes++;
    this.#touchForCheck(record, index);
    if (previous && previous.serviceId !== record.serviceId) this.#touchForCheck(previous, index);
    this.changes.push({ kind: 'check-put', index, check: record, previous });
    return record;
  }

  /** Removes a check. */
  deleteCheck(id: string): void {
    const previous = this.#catalog.check(id);
    if (!previous) return;
    const index = this.#index();
    // Touch before removing: a service check's owner is looked up through the catalog.
    this.#touchForCheck(previous, index);
    this.#catalog.removeCheck(id);
    this.#store.deleteCheck(previous);
    this.writes++;
    this.changes.push({ kind: 'check-delete', index, check: previous });
  }

  #touchForCheck(check: CheckRecord, index: number): void {
    this.#touch('checks', index);
    if (check.serviceId === '') {
      this.#touchAllServices(index);
      return;
    }
    const owner = this.#catalog.instance(check.serviceId);
    if (owner) this.#touch(serviceKey(owner.name), index);
  }

  /** Writes the touched indexes and the global counter (call last, inside the transaction). */
  persistIndexes(): void {
    if (this.touched.size === 0) return;
    const indexes = this.#catalog.indexes;
    this.#store.putIndex('current', indexes.current);
    for (const key of this.touched) this.#store.putIndex(key, indexes.get(key));
  }
}

function sameService(a: InstanceRecord, b: InstanceInput): boolean {
  return (
    a.name === b.name &&
    a.address === b.address &&
    a.port === b.port &&
    a.enableTagOverride === b.enableTagOverride &&
    a.weights.passing === b.weights.passing &&
    a.weights.warning === b.weights.warning &&
    sameJson(a.tags, b.tags) &&
    sameJson(a.meta, b.meta) &&
    sameJson(a.taggedAddresses, b.taggedAddresses)
  );
}

function sameCheck(a: CheckRecord, b: CheckInput): boolean {
  return (
    a.status === b.status && a.name === b.name && a.notes === b.notes && a.serviceId === b.serviceId && sameJson(a.definition, b.definition)
  );
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
