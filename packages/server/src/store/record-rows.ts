/**
 * The instance and check rows of store schema 2 (D189), keyed by create index and slot so that
 * the records a commit creates are appended together, and found again from the record itself.
 */
import type Database from 'better-sqlite3';
import { ServerError, ServerErrorCode } from '../errors.js';

/**
 * Rows of one slot range per create index (D189): the row of a record created at index `i` is
 * keyed `i * ROW_SLOTS + n`, `n` counting the records its operation created in that table.
 */
export const ROW_SLOTS = 4096;
/** Create indexes above this would make row keys past 2^53 (docs/limits.md). */
export const MAX_ROW_INDEX = Math.floor(Number.MAX_SAFE_INTEGER / ROW_SLOTS) - 1;

/**
 * The rows of one record table. A record's row is found from the record itself — its create
 * index gives the range, its ID the row in it — so no map from IDs to rows is kept in memory,
 * and the records a commit creates are appended together at the end of the table (their create
 * indexes are the newest).
 */
export class RecordRows {
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

/**
 * The first row key of the records created at `createIndex`.
 * @throws ServerError `ROSTER_SERVER_STORE_FAILED` past {@link MAX_ROW_INDEX}, naming the record.
 */
export function firstKey(createIndex: number, kind: string, id: string): number {
  if (!Number.isSafeInteger(createIndex) || createIndex < 0 || createIndex > MAX_ROW_INDEX) {
    throw new ServerError(
      ServerErrorCode.StoreFailed,
      `${kind} ${JSON.stringify(id)}: create index ${createIndex} is past the store's row keys (at most ${MAX_ROW_INDEX})`,
    );
  }
  return createIndex * ROW_SLOTS;
}
