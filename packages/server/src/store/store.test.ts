/**
 * The store's WAL with `sync: 'full'`: preallocated at open (zeros, synced once) so that the
 * per-commit fdatasync overwrites instead of appending (D160). What a kill -9 leaves on disk is
 * modelled by copying the database and its WAL while the store is still open (the copy reads
 * the page cache, as a restarted process would): every synced commit must come back, before and
 * after SQLite restarted the WAL from its start, and the WAL must keep its preallocated size.
 */
import { copyFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DATABASE_FILE, Store, WAL_CHECKPOINT_PAGES, WAL_PREALLOCATED_BYTES } from './store.js';

const dirs: string[] = [];
const stores: Store[] = [];

afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'roster-store-'));
  dirs.push(dir);
  return dir;
}

function open(dir: string, sync: 'full' | 'normal'): Store {
  const store = Store.open({ dir, sync });
  stores.push(store);
  return store;
}

const walSize = (dir: string) => statSync(join(dir, `${DATABASE_FILE}-wal`)).size;

/** Copies the database and its WAL as they are now (what a kill -9 would leave). */
function crashCopy(dir: string): string {
  const copy = tempDir();
  copyFileSync(join(dir, DATABASE_FILE), join(copy, DATABASE_FILE));
  copyFileSync(join(dir, `${DATABASE_FILE}-wal`), join(copy, `${DATABASE_FILE}-wal`));
  return copy;
}

/** One commit per key (each writes at least one WAL frame), then a sync. */
async function commitEach(store: Store, keys: readonly string[]): Promise<void> {
  for (const key of keys) store.transaction(() => store.putMeta(key, `value of ${key}`));
  await store.sync();
}

describe('Store WAL preallocation', () => {
  it('gives the WAL its preallocated size at open with sync full, and leaves it alone with sync normal', () => {
    const full = tempDir();
    open(full, 'full');
    expect(walSize(full)).toBe(WAL_PREALLOCATED_BYTES);
    const normal = tempDir();
    open(normal, 'normal');
    expect(walSize(normal)).toBeLessThan(WAL_PREALLOCATED_BYTES);
  });

  it('recovers every synced commit from a preallocated WAL, also after the WAL restarted from its start', async () => {
    const dir = tempDir();
    const store = open(dir, 'full');
    await commitEach(
      store,
      Array.from({ length: 50 }, (_, i) => `early-${i}`),
    );
    const early = Store.open({ dir: crashCopy(dir), sync: 'normal' });
    stores.push(early);
    const before = early.load().meta;
    for (let i = 0; i < 50; i++) expect(before.get(`early-${i}`)).toBe(`value of early-${i}`);

    // More single-frame commits than fit in the preallocated WAL: only if SQLite checkpointed and
    // then wrote the WAL again from its start (over frames of earlier commits) does the WAL keep
    // its size.
    const many = Array.from({ length: WAL_CHECKPOINT_PAGES + 600 }, (_, i) => `late-${i}`);
    expect(many.length * (4096 + 24)).toBeGreaterThan(WAL_PREALLOCATED_BYTES);
    await commitEach(store, many);
    expect(walSize(dir)).toBe(WAL_PREALLOCATED_BYTES);
    const late = Store.open({ dir: crashCopy(dir), sync: 'normal' });
    stores.push(late);
    const after = late.load().meta;
    for (const key of many) expect(after.get(key)).toBe(`value of ${key}`);
    for (let i = 0; i < 50; i++) expect(after.get(`early-${i}`)).toBe(`value of early-${i}`);
  });

  it('keeps what an existing WAL holds when a store is reopened after a crash', async () => {
    const dir = tempDir();
    const store = open(dir, 'full');
    await commitEach(store, ['a', 'b', 'c']);
    const copy = crashCopy(dir);
    const reopened = Store.open({ dir: copy, sync: 'full' });
    stores.push(reopened);
    expect(walSize(copy)).toBe(WAL_PREALLOCATED_BYTES);
    expect([...reopened.load().meta].filter(([k]) => k.length === 1)).toEqual([
      ['a', 'value of a'],
      ['b', 'value of b'],
      ['c', 'value of c'],
    ]);
  });
});

describe('Store.open on a data dir whose database is not one', () => {
  it('names the data dir and the file', () => {
    const dir = tempDir();
    writeFileSync(join(dir, DATABASE_FILE), Buffer.alloc(8192, 7));
    expect(() => Store.open({ dir, sync: 'normal' })).toThrow(
      `cannot open the store in ${dir}: ${DATABASE_FILE} is not a SQLite database (SqliteError: file is not a database)`,
    );
  });
});

describe('Store.open on a path that is not a directory', () => {
  it('says so, naming the path (a file there, or a file as a parent)', () => {
    const file = join(tempDir(), 'data');
    writeFileSync(file, 'not a directory');
    expect(() => Store.open({ dir: file, sync: 'normal' })).toThrow(
      new RegExp(`^cannot open the store in ${file}: it is a file, not a directory \\(Error: EEXIST`),
    );
    expect(() => Store.open({ dir: join(file, 'below'), sync: 'normal' })).toThrow(
      /: a part of the path is a file, not a directory \(Error: ENOTDIR/,
    );
  });
});
