/**
 * A bounded table of canonical values: many equal values (tag lists, meta maps, service names)
 * become one shared, frozen object. Two generations of at most `limit` entries each: a value is
 * looked up in the young one, then the old one (and moved up); when the young one is full it
 * becomes the old one and the former old one is dropped. So the table never holds more than
 * 2 × `limit` values whatever comes in (values unique to one record cost bounded memory and are
 * simply not shared), while values in steady use stay shared. Sharing is an optimization only:
 * a value that fell out of the table and comes back gets a new canonical copy, which is equal.
 */
export class Interner<T> {
  #young = new Map<string, T>();
  #old = new Map<string, T>();
  readonly #limit: number;

  /** @param limit entries per generation (≥ 1). */
  constructor(limit = 4096) {
    this.#limit = Math.max(1, Math.floor(limit));
  }

  /** The canonical value for `key`, made by `make()` (and kept) when there is none. */
  intern(key: string, make: () => T): T {
    const young = this.#young.get(key);
    if (young !== undefined) return young;
    const old = this.#old.get(key);
    const value = old !== undefined ? old : make();
    if (this.#young.size >= this.#limit) {
      this.#old = this.#young;
      this.#young = new Map();
    }
    this.#young.set(key, value);
    return value;
  }

  /** Number of values held (both generations; a value may be in both). */
  get size(): number {
    return this.#young.size + this.#old.size;
  }

  /** Drops every value. */
  clear(): void {
    this.#young.clear();
    this.#old.clear();
  }
}
