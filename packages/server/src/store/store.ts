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
import { closeSync, fdatasync, fdatasyncSync, fstatSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { IndexSnapshot } from '../catalog/indexes.js';
import type { CheckRecord, InstanceRecord } from '../catalog/types.js';
import { ServerError, ServerErrorCode } from '../errors.js';
import { makeDirectory } from './make-directory.js';
import { RecordRows } from './record-rows.js';
import { upgradeSchema } from './upgrade-schema.js';

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

/** Everything the store holds, as loaded at start-up. */
export interface StoredState {
  readonly meta: ReadonlyMap<string, string>;
  readonly instances: readonly InstanceRecord[];
  readonly checks: readonly CheckRecord[];
  readonly indexes: IndexSnapshot;
}

/** File name of the database inside the data dir. */
export const DATABASE_FILE = 'roster.db';

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
      makeDirectory(options.dir);
      // A short busy timeout: the only contender for the lock is another server (refused).
      db = new Database(join(options.dir, DATABASE_FILE), { timeout: 200 });
    } catch (cause) {
      throw new ServerError(ServerErrorCode.StoreFailed, `cannot open the store in ${options.dir}: ${openFailure(cause)}`, { cause });
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
        busy
          ? `the data dir ${options.dir} is in use by another roster server`
          : `cannot open the store in ${options.dir}: ${openFailure(cause)}`,
        { cause },
      );
    }
    try {
      upgradeSchema(db);
    } catch (cause) {
      db.close();
      if (cause instanceof ServerError) throw cause;
      throw new ServerError(ServerErrorCode.StoreFailed, `cannot open the store in ${options.dir}: ${openFailure(cause)}`, { cause });
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

/** Why the data dir could not be made or opened, in words where the system's words mislead. */
function openFailure(cause: unknown): string {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  // mkdir's "EEXIST: file already exists" for a path that is there, but not as a directory.
  if (code === 'EEXIST') return `it is a file, not a directory (${String(cause)})`;
  if (code === 'ENOTDIR') return `a part of the path is a file, not a directory (${String(cause)})`;
  // SQLite's words name no file: say which one, and that it is not roster's.
  if (code === 'SQLITE_NOTADB') return `${DATABASE_FILE} is not a SQLite database (${String(cause)})`;
  return String(cause);
}
