/**
 * A bounded cache of encoded read answers. An entry is valid while the content version of the
 * resource it was rendered from is unchanged (see Catalog.contentVersion), so a hit is exactly
 * what rendering again would produce. Big answers (a 1,000-instance health/service is ~1 MB of
 * JSON) are then encoded once per change instead of once per request.
 */

interface Entry {
  readonly version: string;
  readonly body: Buffer;
}

/** Query parameters that do not change the body of a read. */
const NEUTRAL = new Set([
  'index',
  'wait',
  'token',
  'stale',
  'consistent',
  'leader',
  'max_stale',
  'cached',
  'near',
  'dc',
  'ns',
  'partition',
  'peer',
]);

/** The part of a query that shapes the body, canonical (sorted) so equal queries share entries. */
export function cacheQueryKey(query: URLSearchParams): string {
  const parts: string[] = [];
  for (const [k, v] of query) if (!NEUTRAL.has(k)) parts.push(`${k}=${v}`);
  return parts.sort().join('&');
}

/** LRU by bytes and entries. */
export class ResponseCache {
  readonly #entries = new Map<string, Entry>();
  readonly #maxBytes: number;
  readonly #maxEntries: number;
  #bytes = 0;

  constructor(maxBytes = 64 * 1024 * 1024, maxEntries = 4096) {
    this.#maxBytes = maxBytes;
    this.#maxEntries = maxEntries;
  }

  /** The body cached for `key` at `version`, else undefined. */
  get(key: string, version: string): Buffer | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.version !== version) {
      this.#delete(key, entry);
      return undefined;
    }
    // Most recently used last.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.body;
  }

  set(key: string, version: string, body: Buffer): void {
    if (body.length > this.#maxBytes / 4) return;
    const old = this.#entries.get(key);
    if (old) this.#delete(key, old);
    this.#entries.set(key, { version, body });
    this.#bytes += body.length;
    while (this.#bytes > this.#maxBytes || this.#entries.size > this.#maxEntries) {
      const [oldestKey, oldest] = this.#entries.entries().next().value as [string, Entry];
      this.#delete(oldestKey, oldest);
    }
  }

  /** Bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  #delete(key: string, entry: Entry): void {
    this.#entries.delete(key);
    this.#bytes -= entry.body.length;
  }
}
