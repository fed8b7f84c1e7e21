/**
 * Group commit. Every change of the catalog is an operation submitted here; operations that
 * arrive in the same turn of the event loop run together in one store transaction, and each
 * caller's promise settles only after that transaction is durable (ack after durable).
 *
 * With a `durable` step (`sync: 'full'`: an fdatasync of the WAL on the libuv thread pool, see
 * Store.sync) a group is acknowledged — and its waiters woken, its events emitted — only when a
 * sync that started after its transaction committed has completed (D80). One sync is in flight at
 * a time; the groups committed while it runs share the next one, so the event loop decodes,
 * commits and answers while the disk syncs. Groups settle in commit order. A group that wrote
 * nothing still waits for the groups before it (it may repeat what one of them wrote).
 *
 * Operations run synchronously, in submission order, inside the transaction: they read the
 * catalog, may refuse with an ApiError (an expected outcome for that caller only), and change
 * the catalog through the Batch. Any other exception aborts the whole transaction; the catalog is
 * then reloaded from the store and every caller of the batch gets a 500.
 */
import { performance } from 'node:perf_hooks';
import { Batch } from './batch.js';
import type { Catalog } from '../catalog/catalog.js';
import { ApiError, ServerErrorCode } from '../errors.js';
import type { Store } from '../store/store.js';

/** A change of the catalog; returns what the caller gets. Runs inside the store transaction. */
export type Operation<T> = (batch: Batch) => T;

/** Options of the {@link Committer}. */
export interface CommitterOptions {
  readonly catalog: Catalog;
  readonly store: Store;
  /** Called after every commit that changed something (wakes waiters, emits events). Must not throw. */
  readonly onCommit: (batch: Batch) => void;
  /** Called after a failed transaction; must bring the catalog back to what the store holds. */
  readonly recover: (cause: unknown) => void;
  /** Observes the duration of each store transaction, in seconds (metrics). */
  readonly observeCommit?: (seconds: number, operations: number) => void;
  /**
   * Makes every committed transaction durable (Store.sync); undefined when a committed
   * transaction is durable enough (`sync: 'normal'`).
   */
  readonly durable?: () => Promise<void>;
  /** Called when the durable step failed (the acks it covered got a 500). Must not throw. */
  readonly onSyncError?: (cause: unknown) => void;
}

type Result = { ok: true; value: unknown } | { ok: false; error: ApiError };

/** A committed group, waiting to be acknowledged. */
interface Group {
  readonly batch: Batch;
  readonly queue: readonly Pending[];
  readonly results: readonly Result[];
}

interface Pending {
  readonly op: Operation<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** Serialises and batches the changes of the catalog. */
export class Committer {
  readonly #opts: CommitterOptions;
  #queue: Pending[] = [];
  #scheduled = false;
  #flushing = false;
  #closed = false;
  /** Committed groups not yet covered by a sync that started after their commit. */
  #unsynced: Group[] = [];
  /** The sync in flight, with the acknowledgement of the groups it covers. */
  #syncing: Promise<void> | undefined;

  constructor(options: CommitterOptions) {
    this.#opts = options;
  }

  /** Operations waiting for the next commit. */
  get pending(): number {
    return this.#queue.length;
  }

  /**
   * Queues an operation for the next group commit.
   * With `immediate` (for heartbeats, which usually write nothing), first runs it at once outside
   * any store transaction: when it changes nothing durable (no index, no store row) it settles
   * right away, without a transaction and without waiting for a batch. The catalog in memory is
   * the committed state between commits, so this is as if it ran alone between two commits.
   * Otherwise it is queued like any other operation (at once when nothing else is queued).
   * Rejects with ApiError 503 after {@link close}.
   */
  submit<T>(op: Operation<T>, options: { immediate?: boolean } = {}): Promise<T> {
    if (this.#closed) {
      return Promise.reject(new ApiError(ServerErrorCode.ShuttingDown, 'Server is shutting down'));
    }
    if (options.immediate && !this.#flushing) {
      const settled = this.#runWithoutStore(op);
      if (settled) return settled;
    }
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ op, resolve: resolve as (value: unknown) => void, reject });
      if (options.immediate && this.#queue.length === 1) {
        this.flush();
        return;
      }
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => {
          this.#scheduled = false;
          this.flush();
        });
      }
    });
  }

  /**
   * Runs `op` on a storeless batch. Returns its settled promise when it wrote nothing (or refused
   * with an ApiError), undefined when it must run in a commit instead. A storeless batch refuses
   * before any change, so an operation with a single mutator (a TTL update) is then untouched.
   */
  #runWithoutStore<T>(op: Operation<T>): Promise<T> | undefined {
    const batch = new Batch(this.#opts.catalog, this.#opts.store, true);
    batch.beginOperation();
    try {
      return Promise.resolve(op(batch));
    } catch (error) {
      if (error instanceof ApiError) return Promise.reject(error);
      // NeedsCommit (it changes the store), or anything unexpected: a real commit runs it again
      // (and handles failures as usual).
      return undefined;
    }
  }

  /** Commits everything queued now (synchronously). */
  flush(): void {
    if (this.#queue.length === 0) return;
    this.#flushing = true;
    try {
      this.#flush();
    } finally {
      this.#flushing = false;
    }
  }

  #flush(): void {
    const queue = this.#queue;
    this.#queue = [];
    const { catalog, store } = this.#opts;
    const batch = new Batch(catalog, store);
    const results: Result[] = [];
    const started = performance.now();
    try {
      store.transaction(() => {
        for (const item of queue) {
          batch.beginOperation();
          try {
            results.push({ ok: true, value: item.op(batch) });
          } catch (error) {
            if (!(error instanceof ApiError)) throw error;
            results.push({ ok: false, error });
          }
        }
        batch.persistIndexes();
      });
    } catch (cause) {
      this.#opts.recover(cause);
      const error = new ApiError(ServerErrorCode.StoreFailed, `Store failed: ${cause instanceof Error ? cause.message : String(cause)}`);
      for (const item of queue) item.reject(error);
      return;
    }
    if (batch.writes > 0) this.#opts.observeCommit?.((performance.now() - started) / 1000, queue.length);
    const group: Group = { batch, queue, results };
    if (!this.#opts.durable || (batch.writes === 0 && this.#syncing === undefined && this.#unsynced.length === 0)) {
      this.#settle(group);
      return;
    }
    this.#unsynced.push(group);
    this.#startSync();
  }

  /** Starts one sync for every unsynced group, unless one is in flight (it starts the next). */
  #startSync(): void {
    if (this.#syncing !== undefined || this.#unsynced.length === 0) return;
    const groups = this.#unsynced;
    this.#unsynced = [];
    const durable = this.#opts.durable!;
    this.#syncing = Promise.resolve()
      .then(durable)
      .then(
        () => {
          for (const group of groups) this.#settle(group);
        },
        (cause: unknown) => {
          this.#opts.onSyncError?.(cause);
          const error = new ApiError(
            ServerErrorCode.StoreFailed,
            `Store failed: sync: ${cause instanceof Error ? cause.message : String(cause)}`,
          );
          for (const group of groups) this.#settle(group, error);
        },
      )
      .finally(() => {
        this.#syncing = undefined;
        this.#startSync();
      });
  }

  /** Follows a group's commit (waiters, events) and answers its callers (all with `error` if given). */
  #settle({ batch, queue, results }: Group, error?: ApiError): void {
    // The catalog in memory changed even when the sync failed: whoever waits on it must see it.
    if (batch.touched.size > 0 || batch.changes.length > 0) this.#opts.onCommit(batch);
    queue.forEach((item, i) => {
      const r = results[i]!;
      if (error) item.reject(error);
      else if (r.ok) item.resolve(r.value);
      else item.reject(r.error);
    });
  }

  /**
   * Commits what is queued, refuses new operations, and resolves when every committed group is
   * acknowledged (its sync completed). Idempotent.
   */
  async close(): Promise<void> {
    this.flush();
    this.#closed = true;
    while (this.#syncing !== undefined) await this.#syncing;
  }
}
