/**
 * Store schema 2 (D189): instance and check rows keyed by an integer row key. A database written
 * by schema 1 (rows ordered by ID) is upgraded at open with every record kept; a schema this
 * server does not know is refused; a transaction that rolls back leaves the row keys as the
 * database has them (no second row for one ID afterwards).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { CheckRecord, InstanceRecord } from '../catalog/types.js';
import { ServerError, ServerErrorCode } from '../errors.js';
import { DATABASE_FILE, Store } from './store.js';

const dirs: string[] = [];
const stores: Store[] = [];

afterEach(() => {
  for (const s of stores.splice(0)) if (!s.closed) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'roster-schema-'));
  dirs.push(dir);
  return dir;
}

function open(dir: string): Store {
  const store = Store.open({ dir, sync: 'normal' });
  stores.push(store);
  return store;
}

/** Closes `store` and opens its data dir again. */
function reopen(store: Store, dir: string): Store {
  store.close();
  return open(dir);
}

const instance = (id: string, port: number): InstanceRecord =>
  ({
    id,
    name: 'web',
    tags: ['a'],
    address: '127.0.0.1',
    port,
    meta: {},
    taggedAddresses: {},
    weights: { passing: 1, warning: 1 },
    enableTagOverride: false,
    createIndex: port,
    modifyIndex: port,
  }) as unknown as InstanceRecord;

const check = (id: string, serviceId: string): CheckRecord =>
  ({ id, name: 'ttl', notes: '', serviceId, status: 'critical', output: '', createIndex: 5, modifyIndex: 5 }) as unknown as CheckRecord;

/** What a schema-1 roster left in `dir`: its tables, rows and schema row (none with `withSchema` false). */
function writeSchema1(dir: string, instances: readonly InstanceRecord[], checks: readonly CheckRecord[], withSchema = true): void {
  const db = new Database(join(dir, DATABASE_FILE));
  db.pragma('journal_mode = WAL');
  db.exec(`
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE services (id TEXT PRIMARY KEY, data TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE checks (id TEXT PRIMARY KEY, data TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE indexes (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
  `);
  if (withSchema) db.prepare("INSERT INTO meta (key, value) VALUES ('schema', '1')").run();
  db.prepare("INSERT INTO meta (key, value) VALUES ('node_id', 'n-1')").run();
  for (const r of instances) db.prepare('INSERT INTO services (id, data) VALUES (?, ?)').run(r.id, JSON.stringify(r));
  for (const r of checks) db.prepare('INSERT INTO checks (id, data) VALUES (?, ?)').run(r.id, JSON.stringify(r));
  db.prepare("INSERT INTO indexes (key, value) VALUES ('current', 42)").run();
  db.close();
}

/** The schema row and the columns of a table, read with a connection of its own (store closed). */
function inspect(dir: string, table: string): { schema: string | undefined; columns: string[]; rows: number } {
  const db = new Database(join(dir, DATABASE_FILE), { readonly: true });
  try {
    const schema = db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'schema'").get()?.value;
    const columns = db
      .prepare<[string], { name: string }>('SELECT name FROM pragma_table_info(?)')
      .all(table)
      .map((c) => c.name);
    const rows = db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM ${table}`).get()!.n;
    return { schema, columns, rows };
  } finally {
    db.close();
  }
}

const ids = (records: readonly { id: string }[]) => records.map((r) => r.id).sort();

describe('store schema 2', () => {
  it('upgrades a schema-1 database at open, keeping every record, meta value and index', () => {
    const dir = tempDir();
    const instances = ['web-10', 'web-2', 'web-1'].map((id, i) => instance(id, 8000 + i));
    const checks = [check('web-1:ttl', 'web-1'), check('web-2:ttl', 'web-2')];
    writeSchema1(dir, instances, checks);
    const store = open(dir);
    const state = store.load();
    expect(ids(state.instances)).toEqual(['web-1', 'web-10', 'web-2']);
    expect(state.instances.find((r) => r.id === 'web-10')).toEqual(instances[0]);
    expect(ids(state.checks)).toEqual(['web-1:ttl', 'web-2:ttl']);
    expect(state.meta.get('node_id')).toBe('n-1');
    expect(state.indexes.current).toBe(42);
    store.close();
    expect(inspect(dir, 'services')).toEqual({ schema: '2', columns: ['k', 'data'], rows: 3 });
    expect(inspect(dir, 'checks')).toEqual({ schema: '2', columns: ['k', 'data'], rows: 2 });
  });

  it('changes and removes upgraded records by their ID, and opens an upgraded database again as is', () => {
    const dir = tempDir();
    writeSchema1(dir, [instance('a', 1), instance('b', 2)], [check('a:ttl', 'a')]);
    let store = open(dir);
    store.load();
    store.transaction(() => {
      store.putInstance(instance('a', 11));
      store.deleteInstance('b');
      store.deleteCheck('a:ttl');
      store.putInstance(instance('c', 3));
    });
    store = reopen(store, dir);
    const state = store.load();
    expect(state.instances.map((r) => [r.id, r.port]).sort()).toEqual([
      ['a', 11],
      ['c', 3],
    ]);
    expect(state.checks).toEqual([]);
    store.close();
    expect(inspect(dir, 'services').rows).toBe(2);
  });

  it('upgrades the tables a schema-1 start left before it wrote its schema row', () => {
    const dir = tempDir();
    writeSchema1(dir, [], [], false);
    const store = open(dir);
    expect(store.load().instances).toEqual([]);
    store.transaction(() => store.putInstance(instance('x', 1)));
    store.close();
    expect(inspect(dir, 'services')).toEqual({ schema: '2', columns: ['k', 'data'], rows: 1 });
  });

  it('refuses a schema it does not know, naming it, and leaves the database alone', () => {
    const dir = tempDir();
    const db = new Database(join(dir, DATABASE_FILE));
    db.exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID; INSERT INTO meta VALUES ('schema', '7')");
    db.close();
    let error: unknown;
    try {
      open(dir);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ code: ServerErrorCode.StoreFailed, message: expect.stringContaining('unknown store schema version 7') });
    expect(inspect(dir, 'meta')).toMatchObject({ schema: '7', rows: 1 });
  });

  it('keeps one row per ID after a transaction that rolled back a removal and an addition', () => {
    const dir = tempDir();
    let store = open(dir);
    store.load();
    store.transaction(() => {
      store.putInstance(instance('kept', 1));
      store.putCheck(check('kept:ttl', 'kept'));
    });
    expect(() =>
      store.transaction(() => {
        store.deleteInstance('kept');
        store.deleteCheck('kept:ttl');
        store.putInstance(instance('rolled-back', 2));
        throw new Error('the operation failed');
      }),
    ).toThrow('the operation failed');
    // Had the removal's row key been forgotten, these would add second rows for the same IDs.
    store.transaction(() => {
      store.putInstance(instance('kept', 3));
      store.putCheck(check('kept:ttl', 'kept'));
      store.putInstance(instance('new', 4));
    });
    store = reopen(store, dir);
    const state = store.load();
    expect(state.instances.map((r) => [r.id, r.port]).sort()).toEqual([
      ['kept', 3],
      ['new', 4],
    ]);
    expect(ids(state.checks)).toEqual(['kept:ttl']);
    store.close();
    expect(inspect(dir, 'services').rows).toBe(2);
    expect(inspect(dir, 'checks').rows).toBe(1);
  });

  it('adds the records a commit creates at the end of their tables (rows in creation order)', () => {
    const dir = tempDir();
    const store = open(dir);
    store.load();
    const created = ['m', 'a', 'z', 'b10', 'b2'];
    store.transaction(() => created.forEach((id, i) => store.putInstance(instance(id, i + 1))));
    store.close();
    const db = new Database(join(dir, DATABASE_FILE), { readonly: true });
    const rows = db.prepare<[], { k: number; data: string }>('SELECT k, data FROM services ORDER BY k').all();
    db.close();
    expect(rows.map((r) => (JSON.parse(r.data) as { id: string }).id)).toEqual(created);
    expect(rows.map((r) => r.k)).toEqual([1, 2, 3, 4, 5]);
  });
});
