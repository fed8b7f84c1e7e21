import { gzip } from 'node:zlib';
import { type EncodedBody, encodedLength, joinEncoded } from './encode-json.js';

/**
 * A bounded cache of encoded read answers. An entry is valid while the content version of the
 * resource it was rendered from is unchanged (see Catalog.contentVersion), so a hit is exactly
 * what rendering again would produce. Big answers (a 1,000-instance health/service is ~1 MB of
 * JSON) are then encoded once per change instead of once per request.
 */

interface Entry {
  readonly version: string;
  readonly body: EncodedBody;
  /** Bytes of body. */
  readonly length: number;
  /** The body gzipped, once, when a client first asked for it (D82). */
  gzip?: Promise<Buffer>;
  /** The same, once compressed (read without waiting on the promise). */
  gzipped?: Buffer;
  /** Bytes of the settled gzip counted in the cache's total. */
  gzipBytes: number;
}

/** gzip level: 1 compresses Consul's repetitive JSON nearly as well as 6 (~50×), several times faster. */
const GZIP_LEVEL = 1;

/** gzip on the libuv thread pool. */
function gzipOffLoop(body: EncodedBody): Promise<Buffer> {
  // One copy into a buffer for zlib, once per cached version.
  const input = joinEncoded(body);
  return new Promise((resolve, reject) => gzip(input, { level: GZIP_LEVEL }, (error, out) => (error ? reject(error) : resolve(out))));
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
  get(key: string, version: string): EncodedBody | undefined {
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

  /** The body cached for `key` at `version`; on a miss, `encode()`'s result, cached for the next reader. */
  getOrEncode(key: string, version: string, encode: () => EncodedBody): EncodedBody {
    let body = this.get(key, version);
    if (body === undefined) {
      body = encode();
      this.set(key, version, body);
    }
    return body;
  }

  set(key: string, version: string, body: EncodedBody): void {
    const length = encodedLength(body);
    if (length > this.#maxBytes / 4) return;
    const old = this.#entries.get(key);
    if (old) this.#delete(key, old);
    this.#entries.set(key, { version, body, length, gzipBytes: 0 });
    this.#bytes += length;
    while (this.#bytes > this.#maxBytes || this.#entries.size > this.#maxEntries) {
      const [oldestKey, oldest] = this.#entries.entries().next().value as [string, Entry];
      this.#delete(oldestKey, oldest);
    }
  }

  /**
   * `body` gzipped. When `body` is what is cached for `key` at `version`, it is compressed once
   * (on the libuv thread pool) and every reader of that version shares the result; otherwise it
   * is compressed for this caller only.
   */
  gzip(key: string, version: string, body: EncodedBody): Promise<Buffer> {
    const entry = this.#entries.get(key);
    if (!entry || entry.version !== version || entry.body !== body) return gzipOffLoop(body);
    if (!entry.gzip) {
      entry.gzip = gzipOffLoop(body);
      entry.gzip.then(
        (out) => {
          // Counted while it is still the entry held.
          if (this.#entries.get(key) !== entry) return;
          entry.gzipped = out;
          entry.gzipBytes = out.length;
          this.#bytes += out.length;
        },
        () => {
          // Compression failed: the next reader tries again.
          entry.gzip = undefined;
        },
      );
    }
    return entry.gzip;
  }

  /** The gzip of `body` when it is cached for `key` at `version` and already compressed. */
  gzipReady(key: string, version: string, body: EncodedBody): Buffer | undefined {
    const entry = this.#entries.get(key);
    if (!entry || entry.version !== version || entry.body !== body) return undefined;
    return entry.gzipped;
  }

  /** Bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  #delete(key: string, entry: Entry): void {
    this.#entries.delete(key);
    this.#bytes -= entry.length + entry.gzipBytes;
    entry.gzipBytes = 0;
    entry.gzipped = undefined;
  }
}
