/**
 * Builds the catalog state from the store at start-up: creates the node on a fresh store
 * (index 1: the first answer of every endpoint is ≥ 1) and bumps the node's index when its
 * configured identity (name, address, datacenter, meta) changed since the last run.
 */
import { randomUUID } from 'node:crypto';
import type { CatalogState } from '../catalog/catalog.js';
import { Indexes } from '../catalog/indexes.js';
import type { NodeInfo } from '../catalog/types.js';
import type { Store } from './store.js';

/** The configured identity of this node. */
export interface NodeIdentity {
  readonly name: string;
  readonly address: string;
  readonly datacenter: string;
  readonly meta: Readonly<Record<string, string>>;
}

/** Reads the store, creating or updating the node record as needed (in one transaction). */
export function bootstrapCatalog(store: Store, identity: NodeIdentity): CatalogState {
  return store.transaction(() => {
    const loaded = store.load();
    const indexes = new Indexes(loaded.indexes);
    const fingerprint = JSON.stringify([identity.name, identity.address, identity.datacenter, identity.meta]);
    let id = loaded.meta.get('node_id');
    let createIndex = Number(loaded.meta.get('node_create_index') ?? 0);
    let modifyIndex = Number(loaded.meta.get('node_modify_index') ?? 0);
    if (id === undefined || loaded.meta.get('node_fingerprint') !== fingerprint) {
      const index = indexes.next();
      if (id === undefined) {
        id = randomUUID();
        createIndex = index;
        // The node's serfHealth check is created with the node.
        indexes.touch('checks', index);
        store.putIndex('checks', index);
        store.putMeta('node_id', id);
        store.putMeta('node_create_index', String(index));
      }
      modifyIndex = index;
      indexes.touch('nodes', index);
      store.putIndex('nodes', index);
      store.putIndex('current', index);
      store.putMeta('node_modify_index', String(index));
      store.putMeta('node_fingerprint', fingerprint);
      // A changed node changes every health/service answer.
      for (const name of [...indexes.serviceNames()]) {
        indexes.touch(`service:${name}`, index);
        store.putIndex(`service:${name}`, index);
      }
    }
    const node: NodeInfo = { id, ...identity, createIndex, modifyIndex };
    return { node, instances: loaded.instances, checks: loaded.checks, indexes: indexes.snapshot() };
  });
}
