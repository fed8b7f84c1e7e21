/**
 * Store schema 2 (D189): instance and check rows keyed by their create index and a slot. A
 * database written by schema 1 (rows ordered by ID) is upgraded at open with every record kept;
 * a schema this server does not know is refused; a commit's new records are appended in order;
 * a change or removal finds its row from the record; a row that is not where the record says
 * fails the transaction instead of writing a second row.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { CheckRecord, InstanceRecord } from '../catalog/types.js';
import { ServerError, ServerErrorCode } from '../errors.js';
import { MAX_ROW_INDEX, ROW_SLOTS } from './record-rows.js';
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

const instance = (id: string, port: number, createIndex = port): InstanceRecord =>
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
    createIndex,
    modifyIndex: port,
  }) as unknown as InstanceRecord;

const check = (id: string, serviceId: string, createIndex = 5): CheckRecord =>
  ({
    id,
    name: 'ttl',
    notes: '',
    serviceId,
    status: 'critical',
    output: '',
    createIndex,
    modifyIndex: createIndex,
  }) as unknown as CheckRecord;

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

/** What `fn` throws (undefined when it returns). */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** [row key, ID] of every row of `table`, in key order (store closed). */
function keys(dir: string, table: string): [number, string][] {
  const db = new Database(join(dir, DATABASE_FILE), { readonly: true });
  try {
    return db
      .prepare<[], { k: number; id: string }>(`SELECT k, id FROM ${table} ORDER BY k`)
      .all()
      .map((r) => [r.k, r.id]);
  } finally {
    db.close();
  }
}

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
    expect(inspect(dir, 'services')).toEqual({ schema: '2', columns: ['k', 'id', 'data'], rows: 3 });
    expect(inspect(dir, 'checks')).toEqual({ schema: '2', columns: ['k', 'id', 'data'], rows: 2 });
    // Rows sharing a create index (both checks: 5) get slots of their own, in ID order.
    expect(keys(dir, 'checks')).toEqual([
      [5 * ROW_SLOTS, 'web-1:ttl'],
      [5 * ROW_SLOTS + 1, 'web-2:ttl'],
    ]);
  });

  it('changes and removes upgraded records by their ID, and opens an upgraded database again as is', () => {
    const dir = tempDir();
    writeSchema1(dir, [instance('a', 1), instance('b', 2)], [check('a:ttl', 'a')]);
    let store = open(dir);
    store.load();
    store.transaction(() => {
      store.putInstance(instance('a', 11, 1), false);
      store.deleteInstance(instance('b', 2));
      store.deleteCheck(check('a:ttl', 'a'));
      store.putInstance(instance('c', 3, 9), true);
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
    store.transaction(() => store.putInstance(instance('x', 1), true));
    store.close();
    expect(inspect(dir, 'services')).toEqual({ schema: '2', columns: ['k', 'id', 'data'], rows: 1 });
  });

  it('refuses a schema it does not know, naming it, and leaves the database alone', () => {
    const dir = tempDir();
    const db = new Database(join(dir, DATABASE_FILE));
    db.exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID; INSERT INTO meta VALUES ('schema', '7')");
    db.close();
    const error = thrownBy(() => open(dir));
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ code: ServerErrorCode.StoreFailed, message: expect.stringContaining('unknown store schema version 7') });
    expect(inspect(dir, 'meta')).toMatchObject({ schema: '7', rows: 1 });
  });

  it('appends the records a commit creates in creation order, one slot range per create index', () => {
    const dir = tempDir();
    const store = open(dir);
    store.load();
    store.transaction(() => {
      // Two operations in one group commit: indexes 7 and 8 (IDs in no particular order).
      store.putInstance(instance('m', 1, 7), true);
      store.putCheck(check('m:1', 'm', 7), true);
      store.putCheck(check('m:0', 'm', 7), true);
      store.putInstance(instance('a', 2, 8), true);
      store.putInstance(instance('z', 3, 8), true);
    });
    store.close();
    expect(keys(dir, 'services')).toEqual([
      [7 * ROW_SLOTS, 'm'],
      [8 * ROW_SLOTS, 'a'],
      [8 * ROW_SLOTS + 1, 'z'],
    ]);
    expect(keys(dir, 'checks')).toEqual([
      [7 * ROW_SLOTS, 'm:1'],
      [7 * ROW_SLOTS + 1, 'm:0'],
    ]);
    const reopened = open(dir);
    expect(reopened.load().instances.map((r) => r.id)).toEqual(['m', 'a', 'z']);
  });

  it('changes and removes a row found from its record, leaving the other rows of its create index', () => {
    const dir = tempDir();
    let store = open(dir);
    store.load();
    store.transaction(() => {
      store.putInstance(instance('a', 1, 4), true);
      store.putInstance(instance('b', 2, 4), true);
    });
    store.transaction(() => store.putInstance(instance('b', 22, 4), false));
    store.transaction(() => store.deleteInstance(instance('a', 1, 4)));
    store = reopen(store, dir);
    expect(store.load().instances.map((r) => [r.id, r.port])).toEqual([['b', 22]]);
  });

  it('fails the transaction, writing nothing, when the row to change is not where its record says', () => {
    const dir = tempDir();
    let store = open(dir);
    store.load();
    store.transaction(() => store.putInstance(instance('a', 1, 4), true));
    const error = thrownBy(() =>
      store.transaction(() => {
        store.putInstance(instance('b', 2, 6), true);
        // Stored at create index 4, not 5: a catalog out of step with the store.
        store.putInstance(instance('a', 11, 5), false);
      }),
    );
    expect(error).toMatchObject({ code: ServerErrorCode.StoreFailed, message: expect.stringContaining('no stored row for instance "a"') });
    store = reopen(store, dir);
    expect(store.load().instances.map((r) => [r.id, r.port])).toEqual([['a', 1]]);
  });

  it('refuses a create index past the row keys, naming the record', () => {
    const store = open(tempDir());
    store.load();
    expect(() => store.transaction(() => store.putInstance(instance('big', 1, MAX_ROW_INDEX + 1), true))).toThrow(
      /instance "big": create index \d+ is past the store's row keys/,
    );
  });
});
