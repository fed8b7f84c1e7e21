/**
 * The durable copy of the catalog: one SQLite database (better-sqlite3, WAL) in the data dir.
 * The server reads it once at start-up; afterwards every acknowledged change is written here in a
 * committed transaction before the answer goes out. Reads are served from memory, never from here.
 *
 * Durability: SQLite runs with `synchronous = NORMAL` (in WAL mode a commit writes its frames to
 * the WAL without syncing; the WAL is synced before every checkpoint and the database after it).
 * With `sync: 'full'` (default) the committer then calls {@link Store.sync}: an `fdatasync` of the
 * WAL file on the libuv thread pool (not on the event loop), which covers every commit written
 * before it, and acknowledges a group only when that sync completed (D80) — an acknowledged change
 * survives a power loss as well as a process kill. With `sync: 'normal'` nothing syncs per commit:
 * a `kill -9` still loses nothing (the WAL is in the OS page cache), a power loss may lose the last
 * commits. The database is opened in exclusive locking mode: a second server on the same
 * data dir fails to start instead of corrupting the catalog's meaning.
 */
import { closeSync, fdatasync, fdatasyncSync, fstatSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { IndexSnapshot } from '../catalog/indexes.js';
import type { CheckRecord, InstanceRecord } from '../catalog/types.js';
import { ServerError, ServerErrorCode } from '../errors.js';

/** How hard a commit is pushed to disk. */
export type SyncMode = 'full' | 'normal';

/** Options of {@link Store.open}. */
export interface StoreOptions {
  /** Directory of the database; created when missing. */
  readonly dir: string;
  /** Default `full`. */
  readonly sync?: SyncMode;
  /**
   * Makes what was written to the file `fd` durable; default `fs.fdatasync` on the libuv thread
   * pool. Injected by tests (e.g. a slow sync) — it must still make the data durable.
   */
  readonly syncFile?: (fd: number) => Promise<void>;
}

/** `fs.fdatasync` on the libuv thread pool. */
export function fdatasyncFile(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fdatasync(fd, (error) => (error ? reject(error) : resolve())));
}

/**
 * Extends the WAL file with zeros up to {@link WAL_PREALLOCATED_BYTES} and syncs it once, so that
 * the per-commit `fdatasync` of `sync: 'full'` overwrites blocks that are already allocated and
 * written (it then has no file size or extent to journal: about half the cost of a sync after an
 * append on ext4). Only bytes past the end of the file are written, before SQLite writes anything
 * there; SQLite's WAL recovery stops at the first frame that is not valid, and zeros never are.
 * Best effort: a failure leaves the WAL as it was (commits then append, as without this).
 */
function preallocateWal(walPath: string): void {
  let fd: number | undefined;
  try {
    // SQLite created the WAL file when it opened the database in WAL mode (held exclusively).
    fd = openSync(walPath, 'r+');
    let at = fstatSync(fd).size;
    if (at >= WAL_PREALLOCATED_BYTES) return;
    const zeros = Buffer.alloc(256 * 1024);
    while (at < WAL_PREALLOCATED_BYTES) at += writeSync(fd, zeros, 0, Math.min(zeros.length, WAL_PREALLOCATED_BYTES - at), at);
    fdatasyncSync(fd);
  } catch {
    // The WAL keeps the size it had: nothing SQLite wrote was touched.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Rows of one slot range per create index (D189): the row of a record created at index `i` is
 * keyed `i * ROW_SLOTS + n`, `n` counting the records its operation created in that table.
 */
export const ROW_SLOTS = 4096;
/** Create indexes above this would make row keys past 2^53 (docs/limits.md). */
export const MAX_ROW_INDEX = Math.floor(Number.MAX_SAFE_INTEGER / ROW_SLOTS) - 1;

/** The tables of schema 2: instance and check rows, keyed by create index and slot (D189). */
const RECORD_TABLES = ['services', 'checks'] as const;

/**
 * The rows of one record table. A record's row is found from the record itself — its create
 * index gives the range, its ID the row in it — so no map from IDs to rows is kept in memory,
 * and the records a commit creates are appended together at the end of the table (their create
 * indexes are the newest).
 */
class RecordRows {
  readonly #insert: Database.Statement<[number, string, string]>;
  readonly #update: Database.Statement<[string, number, number, string]>;
  readonly #delete: Database.Statement<[number, number, string]>;
  /** Slots used per create index in the transaction in progress. */
  readonly #slots = new Map<number, number>();
  readonly #kind: string;

  constructor(db: Database.Database, table: string, kind: string) {
    this.#insert = db.prepare(`INSERT INTO ${table} (k, id, data) VALUES (?, ?, ?)`);
    this.#update = db.prepare(`UPDATE ${table} SET data = ? WHERE k >= ? AND k < ? AND id = ?`);
    this.#delete = db.prepare(`DELETE FROM ${table} WHERE k >= ? AND k < ? AND id = ?`);
    this.#kind = kind;
  }

  /** A transaction begins: no slot of its create indexes is used yet. */
  begin(): void {
    this.#slots.clear();
  }

  put(record: { readonly id: string; readonly createIndex: number }, data: string, created: boolean): void {
    const first = firstKey(record.createIndex, this.#kind, record.id);
    if (created) {
      const slot = this.#slots.get(record.createIndex) ?? 0;
      if (slot >= ROW_SLOTS) throw this.#failed(`more than ${ROW_SLOTS} ${this.#kind}s created by one operation`);
      this.#slots.set(record.createIndex, slot + 1);
      this.#insert.run(first + slot, record.id, data);
    } else if (this.#update.run(data, first, first + ROW_SLOTS, record.id).changes !== 1) {
      throw this.#failed(`no stored row for ${this.#kind} ${JSON.stringify(record.id)} (create index ${record.createIndex})`);
    }
  }

  delete(record: { readonly id: string; readonly createIndex: number }): void {
    const first = firstKey(record.createIndex, this.#kind, record.id);
    this.#delete.run(first, first + ROW_SLOTS, record.id);
  }

  #failed(message: string): ServerError {
    return new ServerError(ServerErrorCode.StoreFailed, message);
  }
}

/** The first row key of the records created at `createIndex`. */
function firstKey(createIndex: number, kind: string, id: string): number {
  if (!Number.isSafeInteger(createIndex) || createIndex < 0 || createIndex > MAX_ROW_INDEX) {
    throw new ServerError(
      ServerErrorCode.StoreFailed,
      `${kind} ${JSON.stringify(id)}: create index ${createIndex} is past the store's row keys (at most ${MAX_ROW_INDEX})`,
    );
  }
  return createIndex * ROW_SLOTS;
}

/**
 * Creates the tables of a new database, or brings one written by an older roster to schema 2 in
 * one transaction: schema 1 kept instance and check rows in tables ordered by their ID; their
 * rows are copied into tables keyed by create index and slot (the JSON of each record unchanged).
 * @throws ServerError `ROSTER_SERVER_STORE_FAILED` for a schema this server does not know.
 */
function upgradeSchema(db: Database.Database): void {
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
      const insert = db.prepare<[number, string, string]>(`INSERT INTO ${table} (k, id, data) VALUES (?, ?, ?)`);
      let slot = 0;
      rows.forEach((r, i) => {
        slot = i > 0 && rows[i - 1]!.createIndex === r.createIndex ? slot + 1 : 0;
        if (slot >= ROW_SLOTS)
          throw new ServerError(ServerErrorCode.StoreFailed, `more than ${ROW_SLOTS} ${table} rows share create index ${r.createIndex}`);
        insert.run(firstKey(r.createIndex, table, r.id) + slot, r.id, r.data);
      });
      db.exec(`DROP TABLE ${table}_v1`);
    }
    db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)").run(SCHEMA_VERSION);
  })();
}

/** Everything the store holds, as loaded at start-up. */
export interface StoredState {
  readonly meta: ReadonlyMap<string, string>;
  readonly instances: readonly InstanceRecord[];
  readonly checks: readonly CheckRecord[];
  readonly indexes: IndexSnapshot;
}

/** File name of the database inside the data dir. */
export const DATABASE_FILE = 'roster.db';
const SCHEMA_VERSION = '2';

/** WAL pages after which a commit checkpoints the WAL into the database (SQLite's default). */
export const WAL_CHECKPOINT_PAGES = 1000;
/**
 * Size the WAL file is given at open with `sync: 'full'` (zeros written and synced once): the
 * checkpoint threshold plus room for a large group commit, in frames of a 4 KiB page (D160).
 */
export const WAL_PREALLOCATED_BYTES = 32 + (WAL_CHECKPOINT_PAGES + 512) * (4096 + 24);

/** The SQLite store. Synchronous: every method returns when SQLite has done the work. */
export class Store {
  readonly #db: Database.Database;
  readonly #instanceRows: RecordRows;
  readonly #checkRows: RecordRows;
  readonly #putIndex: Database.Statement<[string, number]>;
  readonly #putMeta: Database.Statement<[string, string]>;
  /** Created once: `db.transaction()` builds its wrapper functions on every call. */
  readonly #transaction: Database.Transaction<(fn: () => unknown) => unknown>;
  #closed = false;
  readonly #walPath: string;
  readonly #syncFile: (fd: number) => Promise<void>;
  /** The WAL file, opened at the first {@link sync} (SQLite creates it at the first write). */
  #walFd: number | undefined;
  /** Syncs in flight (close waits for them before closing the WAL descriptor). */
  #syncs = 0;

  private constructor(db: Database.Database, walPath: string, syncFile: (fd: number) => Promise<void>) {
    this.#db = db;
    this.#walPath = walPath;
    this.#syncFile = syncFile;
    this.#instanceRows = new RecordRows(db, 'services', 'instance');
    this.#checkRows = new RecordRows(db, 'checks', 'check');
    this.#putIndex = db.prepare('INSERT OR REPLACE INTO indexes (key, value) VALUES (?, ?)');
    this.#putMeta = db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
    this.#transaction = db.transaction((fn: () => unknown) => fn());
  }

  /**
   * Opens (or creates) the database in `options.dir`.
   * @throws ServerError `ROSTER_SERVER_DATA_DIR_LOCKED` when another server holds it,
   *   `ROSTER_SERVER_STORE_FAILED` when it cannot be opened or has an unknown schema.
   */
  static open(options: StoreOptions): Store {
    let db: Database.Database;
    try {
      mkdirSync(options.dir, { recursive: true });
      // A short busy timeout: the only contender for the lock is another server (refused).
      db = new Database(join(options.dir, DATABASE_FILE), { timeout: 200 });
    } catch (cause) {
      throw new ServerError(ServerErrorCode.StoreFailed, `cannot open the store in ${options.dir}: ${String(cause)}`, { cause });
    }
    try {
      db.pragma('locking_mode = EXCLUSIVE');
      db.pragma('journal_mode = WAL');
      // Never FULL: with `sync: 'full'` the WAL is synced by Store.sync, off the event loop.
      db.pragma('synchronous = NORMAL');
      db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
      // After a checkpoint SQLite writes the WAL again from its start; a WAL that a very large
      // commit grew past the preallocated size is cut back to it then (D160).
      db.pragma(`journal_size_limit = ${WAL_PREALLOCATED_BYTES}`);
      // Take the exclusive lock now (a write transaction), not at the first change.
      db.exec('BEGIN IMMEDIATE; COMMIT');
    } catch (cause) {
      db.close();
      const busy = (cause as { code?: string }).code === 'SQLITE_BUSY';
      throw new ServerError(
        busy ? ServerErrorCode.DataDirLocked : ServerErrorCode.StoreFailed,
        busy ? `the data dir ${options.dir} is in use by another roster server` : `cannot open the store: ${String(cause)}`,
        { cause },
      );
    }
    try {
      upgradeSchema(db);
    } catch (cause) {
      db.close();
      if (cause instanceof ServerError) throw cause;
      throw new ServerError(ServerErrorCode.StoreFailed, `cannot open the store: ${String(cause)}`, { cause });
    }
    const walPath = `${join(options.dir, DATABASE_FILE)}-wal`;
    if ((options.sync ?? 'full') === 'full') preallocateWal(walPath);
    return new Store(db, walPath, options.syncFile ?? fdatasyncFile);
  }

  /** Reads everything (start-up). */
  load(): StoredState {
    const meta = new Map<string, string>();
    for (const row of this.#db.prepare<[], { key: string; value: string }>('SELECT key, value FROM meta').iterate()) {
      meta.set(row.key, row.value);
    }
    // The table keeps Consul's name: one row per instance. Rows come in creation order.
    const instances = this.#db
      .prepare<[], { data: string }>('SELECT data FROM services ORDER BY k')
      .all()
      .map((r) => JSON.parse(r.data) as InstanceRecord);
    const checks = this.#db
      .prepare<[], { data: string }>('SELECT data FROM checks ORDER BY k')
      .all()
      .map((r) => JSON.parse(r.data) as CheckRecord);
    let current = 0;
    const tables: Record<string, number> = {};
    for (const row of this.#db.prepare<[], { key: string; value: number }>('SELECT key, value FROM indexes').iterate()) {
      if (row.key === 'current') current = row.value;
      else tables[row.key] = row.value;
    }
    return { meta, instances, checks, indexes: { current, tables } };
  }

  /**
   * Runs `fn` in one transaction: committed (written to the WAL, not synced: see {@link sync})
   * when it returns, rolled back when it throws.
   */
  transaction<T>(fn: () => T): T {
    this.#instanceRows.begin();
    this.#checkRows.begin();
    return this.#transaction(fn) as T;
  }

  /**
   * Makes every transaction committed so far durable: syncs the WAL file (by default an
   * `fdatasync` on the libuv thread pool, so the event loop goes on meanwhile). In exclusive
   * locking mode SQLite keeps the WAL file (same inode) until close; a checkpoint syncs the WAL
   * before copying it and the database after, so checkpointed commits are durable too.
   * @throws the sync's error (the caller must not acknowledge what it covers).
   */
  async sync(): Promise<void> {
    if (this.#closed) throw new ServerError(ServerErrorCode.StoreFailed, 'the store is closed');
    this.#walFd ??= openSync(this.#walPath, 'r');
    this.#syncs++;
    try {
      await this.#syncFile(this.#walFd);
    } finally {
      this.#syncs--;
    }
  }

  /** Syncs in flight (see {@link sync}). */
  get syncing(): number {
    return this.#syncs;
  }

  /**
   * Writes an instance row (inside {@link transaction}): a new one when `created` (the record's
   * create index is its operation's own), else the one stored at its create index.
   * @throws ServerError `ROSTER_SERVER_STORE_FAILED` when the row to change is not there.
   */
  putInstance(record: InstanceRecord, created: boolean): void {
    this.#instanceRows.put(record, JSON.stringify(record), created);
  }

  /** Deletes an instance row. */
  deleteInstance(record: InstanceRecord): void {
    this.#instanceRows.delete(record);
  }

  /** Writes a check row (as {@link putInstance}). */
  putCheck(record: CheckRecord, created: boolean): void {
    this.#checkRows.put(record, JSON.stringify(record), created);
  }

  /** Deletes a check row. */
  deleteCheck(record: CheckRecord): void {
    this.#checkRows.delete(record);
  }

  /** Stores one index value (`current` is the global counter). */
  putIndex(key: string, value: number): void {
    this.#putIndex.run(key, value);
  }

  /** Stores one meta value (node ID, node identity). */
  putMeta(key: string, value: string): void {
    this.#putMeta.run(key, value);
  }

  /** True after {@link close}. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Checkpoints the WAL into the database file (a checkpoint syncs both files) and closes it.
   * Idempotent. Callers wait for the syncs in flight first (the committer's close does).
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      this.#db.close();
      if (this.#walFd !== undefined) closeSync(this.#walFd);
    }
  }
}
