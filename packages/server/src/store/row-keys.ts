/**
 * The row key of each stored record, by the record's ID (store schema 2, D189). Rows are keyed by
 * an integer that grows with every new record, so the records a commit adds land together at the
 * end of their table instead of one leaf page of an ID-ordered tree each; the store finds a
 * record's row through this map, not through an index on its ID.
 *
 * Changes made inside a transaction are journaled and undone when it rolls back
 * ({@link RowKeys.rollback}), so the map always says what the database holds.
 */
export class RowKeys {
  readonly #keys = new Map<string, number>();
  #last = 0;
  /** Undo steps of the transaction in progress, or undefined outside one. */
  #journal: (() => void)[] | undefined;

  /** Records the row of `id` as read from the database (start-up). */
  loaded(id: string, key: number): void {
    this.#keys.set(id, key);
    if (key > this.#last) this.#last = key;
  }

  /** Forgets every row (before the database is read again). */
  clear(): void {
    this.#keys.clear();
    this.#last = 0;
  }

  /** The row of `id`, allocating a new one at the end of the table when it has none. */
  keyFor(id: string): number {
    const existing = this.#keys.get(id);
    if (existing !== undefined) return existing;
    const last = this.#last;
    const key = last + 1;
    this.#keys.set(id, key);
    this.#last = key;
    this.#journal?.push(() => {
      this.#keys.delete(id);
      this.#last = last;
    });
    return key;
  }

  /** Removes the row of `id`; returns its key, or undefined when it had none. */
  remove(id: string): number | undefined {
    const key = this.#keys.get(id);
    if (key === undefined) return undefined;
    this.#keys.delete(id);
    this.#journal?.push(() => this.#keys.set(id, key));
    return key;
  }

  /** Starts journaling (a transaction begins). */
  begin(): void {
    this.#journal = [];
  }

  /** Keeps the changes since {@link begin} (the transaction committed). */
  commit(): void {
    this.#journal = undefined;
  }

  /** Undoes the changes since {@link begin}, newest first (the transaction rolled back). */
  rollback(): void {
    const journal = this.#journal ?? [];
    this.#journal = undefined;
    for (let i = journal.length - 1; i >= 0; i--) journal[i]!();
  }

  /** Rows known. */
  get size(): number {
    return this.#keys.size;
  }
}
