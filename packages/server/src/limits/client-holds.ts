/**
 * Held blocking queries and event streams per client key: a client may hold at most `max` at
 * once, so one client cannot take the server's whole pool of held queries. Entries exist only
 * while something is held.
 */

/** Counts of held requests per client. */
export class ClientHolds {
  readonly #max: number;
  readonly #held = new Map<string, number>();

  /** @param max held requests per client (0 = none may be held). */
  constructor(max: number) {
    this.#max = max;
  }

  /** The limit per client. */
  get max(): number {
    return this.#max;
  }

  /** Requests `key` holds now. */
  count(key: string): number {
    return this.#held.get(key) ?? 0;
  }

  /**
   * Counts one more held request of `key`.
   * @returns the release function (idempotent), or undefined when `key` is at its limit.
   */
  acquire(key: string): (() => void) | undefined {
    const n = this.#held.get(key) ?? 0;
    if (n >= this.#max) return undefined;
    this.#held.set(key, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#held.get(key) ?? 1) - 1;
      if (left <= 0) this.#held.delete(key);
      else this.#held.set(key, left);
    };
  }
}
