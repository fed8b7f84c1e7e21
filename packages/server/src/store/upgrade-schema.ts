/**
 * The store's schema: created for a new database, upgraded from an older roster's (D189).
 */
import type Database from 'better-sqlite3';
import { ServerError, ServerErrorCode } from '../errors.js';
import { RecordRows } from './record-rows.js';

/** The schema this server writes (meta row `schema`). */
export const SCHEMA_VERSION = '2';

/** The tables of schema 2: instance and check rows, keyed by create index and slot (D189). */
const RECORD_TABLES = ['services', 'checks'] as const;
/** What a row of each is, in error messages. */
const RECORD_KIND = { services: 'instance', checks: 'check' } as const;

/**
 * Creates the tables of a new database, or brings one written by an older roster to schema 2 in
 * one transaction: schema 1 kept instance and check rows in tables ordered by their ID; their
 * rows are copied into tables keyed by create index and slot (the JSON of each record unchanged).
 * @throws ServerError `ROSTER_SERVER_STORE_FAILED` for a schema this server does not know.
 */
export function upgradeSchema(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID');
  const version = db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'schema'").get()?.value;
  if (version === SCHEMA_VERSION) return;
  if (version !== undefined && version !== '1') {
    throw new ServerError(ServerErrorCode.StoreFailed, `unknown store schema version ${version} (this server knows ${SCHEMA_VERSION})`);
  }
  db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS indexes (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID');
    for (const table of RECORD_TABLES) {
      // Schema 1's table (also left by a start of an older roster that stopped before writing its schema).
      const v1 = db
        .prepare<[string], { name: string }>('SELECT name FROM pragma_table_info(?)')
        .all(table)
        .some((c) => c.name === 'id');
      if (v1) db.exec(`ALTER TABLE ${table} RENAME TO ${table}_v1`);
      db.exec(`CREATE TABLE ${table} (k INTEGER PRIMARY KEY, id TEXT NOT NULL, data TEXT NOT NULL)`);
      if (!v1) continue;
      const rows = db
        .prepare<[], { id: string; data: string }>(`SELECT id, data FROM ${table}_v1`)
        .all()
        .map((r) => ({ ...r, createIndex: (JSON.parse(r.data) as { createIndex: number }).createIndex }))
        .sort((a, b) => a.createIndex - b.createIndex || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      // The rows a transaction creates take the next slot of their create index, as in a commit.
      const records = new RecordRows(db, table, RECORD_KIND[table]);
      records.begin();
      for (const r of rows) records.put({ id: r.id, createIndex: r.createIndex }, r.data, true);
      db.exec(`DROP TABLE ${table}_v1`);
    }
    db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)").run(SCHEMA_VERSION);
  })();
}
