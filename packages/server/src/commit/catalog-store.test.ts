import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Committer } from '../commit/committer.js';
import { ApiError } from '../errors.js';
import { deregisterInstance } from '../operations/deregister-instance.js';
import { registerInstance, type InstanceRegistration } from '../operations/register-instance.js';
import { updateTtl } from '../operations/update-check.js';
import { Store } from '../store/store.js';
import { bootstrapCatalog, type NodeIdentity } from '../store/bootstrap-catalog.js';
import { Catalog } from '../catalog/catalog.js';
import { STATIC_DEFINITION } from '../catalog/types.js';

const identity: NodeIdentity = { name: 'node-a', address: '127.0.0.1', datacenter: 'dc1', meta: {} };
const dirs: string[] = [];
const stores: Store[] = [];

function open(dir: string) {
  const store = Store.open({ dir, sync: 'normal' });
  stores.push(store);
  const catalog = new Catalog(bootstrapCatalog(store, identity));
  const committed: number[] = [];
  const committer = new Committer({
    catalog,
    store,
    onCommit: (batch) => committed.push(batch.changes.length),
    recover: () => catalog.reset(bootstrapCatalog(store, identity)),
  });
  return { store, catalog, committer, committed };
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'roster-store-'));
  dirs.push(dir);
  return dir;
}

function reg(id: string, name = 'web', ttl = false): InstanceRegistration {
  return {
    service: {
      id,
      name,
      tags: ['a'],
      address: '10.0.0.1',
      port: 80,
      meta: {},
      taggedAddresses: {},
      weights: { passing: 1, warning: 1 },
      enableTagOverride: false,
    },
    checks: ttl
      ? [
          {
            id: `service:${id}`,
            name: 'ttl',
            notes: '',
            serviceId: id,
            status: 'critical',
            output: '',
            definition: { ...STATIC_DEFINITION, type: 'ttl', ttlMs: 10_000 },
          },
        ]
      : [],
    replaceExistingChecks: false,
  };
}

afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('catalog + store', () => {
  it('starts a fresh store at index 1 with the node and serfHealth', () => {
    const { catalog } = open(tempDir());
    expect(catalog.indexes.current).toBe(1);
    expect(catalog.indexes.forTable('nodes')).toBe(1);
    expect(catalog.indexes.forService('web')).toBe(1);
    expect(catalog.nodeChecks().map((c) => c.id)).toEqual(['serfHealth']);
  });

  it('batches operations of one turn into one commit and persists them', async () => {
    const dir = tempDir();
    const a = open(dir);
    await Promise.all([a.committer.submit(registerInstance(reg('w1'))), a.committer.submit(registerInstance(reg('w2')))]);
    expect(a.committed).toEqual([2]);
    expect(a.catalog.instancesOf('WEB').map((s) => s.id)).toEqual(['w1', 'w2']);
    const index = a.catalog.indexes.forService('web');
    expect(index).toBe(3);
    a.store.close();
    const b = open(dir);
    expect(b.catalog.instancesOf('web').map((s) => s.id)).toEqual(['w1', 'w2']);
    expect(b.catalog.indexes.forService('web')).toBe(index);
    expect(b.catalog.indexes.current).toBe(3);
  });

  it('refuses one operation without failing the batch; keeps tombstones', async () => {
    const { catalog, committer } = open(tempDir());
    await committer.submit(registerInstance(reg('w1')));
    const results = await Promise.allSettled([committer.submit(deregisterInstance('w1')), committer.submit(deregisterInstance('w1'))]);
    expect(results[0]!.status).toBe('fulfilled');
    expect(results[1]!.status).toBe('rejected');
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(ApiError);
    expect(catalog.instancesOf('web')).toEqual([]);
    expect(catalog.indexes.forService('web')).toBe(3);
  });

  it('does not bump indexes for identical re-registration or output-only updates', async () => {
    const { catalog, committer } = open(tempDir());
    await committer.submit(registerInstance(reg('w1', 'web', true)));
    const before = catalog.indexes.current;
    await committer.submit(registerInstance(reg('w1', 'web', true)));
    expect(catalog.indexes.current).toBe(before);
    await committer.submit(updateTtl('service:w1', 'passing', 'one'));
    const afterStatus = catalog.indexes.current;
    expect(afterStatus).toBe(before + 1);
    await committer.submit(updateTtl('service:w1', 'passing', 'two'), { immediate: true });
    expect(catalog.indexes.current).toBe(afterStatus);
    expect(catalog.check('service:w1')?.output).toBe('two');
  });

  it('answers a heartbeat that changes nothing without a store transaction or a batch', async () => {
    const { store, catalog, committer } = open(tempDir());
    await committer.submit(registerInstance(reg('w1', 'web', true)));
    await committer.submit(updateTtl('service:w1', 'passing', ''));
    const index = catalog.indexes.current;
    let transactions = 0;
    const transaction = store.transaction.bind(store);
    store.transaction = <T>(fn: () => T): T => {
      transactions++;
      return transaction(fn);
    };
    // Queued behind a registration: the heartbeat still settles at once, with no transaction.
    const queued = committer.submit(registerInstance(reg('w2')));
    await committer.submit(updateTtl('service:w1', 'passing', 'ok'), { immediate: true });
    expect(transactions).toBe(0);
    expect(committer.pending).toBe(1);
    expect(catalog.check('service:w1')?.output).toBe('ok');
    await queued;
    expect(transactions).toBe(1);
    // A status change still goes through a commit.
    await committer.submit(updateTtl('service:w1', 'warning', ''), { immediate: true });
    expect(transactions).toBe(2);
    expect(catalog.indexes.current).toBe(index + 2);
    await expect(committer.submit(updateTtl('nope', 'passing', ''), { immediate: true })).rejects.toBeInstanceOf(ApiError);
  });

  it('re-registration keeps check status', async () => {
    const { catalog, committer } = open(tempDir());
    await committer.submit(registerInstance(reg('w1', 'web', true)));
    await committer.submit(updateTtl('service:w1', 'passing', ''));
    await committer.submit(registerInstance({ ...reg('w1', 'web', true), service: { ...reg('w1').service, port: 81 } }));
    expect(catalog.check('service:w1')?.status).toBe('passing');
    expect(catalog.instance('w1')?.port).toBe(81);
  });

  it('refuses a second server on the same data dir', () => {
    const dir = tempDir();
    open(dir);
    expect(() => Store.open({ dir })).toThrow(/in use/);
  });

  it('recovers the catalog from the store when a transaction fails', async () => {
    const { catalog, committer } = open(tempDir());
    await committer.submit(registerInstance(reg('w1')));
    const failing = committer.submit((batch) => {
      batch.deleteInstance('w1', 'deregistered');
      throw new Error('boom');
    });
    await expect(failing).rejects.toMatchObject({ status: 500 });
    expect(catalog.instance('w1')).toBeDefined();
  });
});
