/**
 * The streaming watches of one server: every open {@link WatchStream} by id, and which streams
 * watch which service, so a commit marks exactly the streams of the services it touched (no
 * scan over streams or watches). Limits: streams per server, watches per stream.
 */
import { randomBytes } from 'node:crypto';
import type { IndexKey } from '../catalog/indexes.js';
import { ApiError, ServerErrorCode } from '../errors.js';
import { type WatchSink, type WatchSource, WatchStream } from './watch-stream.js';

/** Limits of the hub. */
export interface WatchLimits {
  /** Streams open at once (one more → 503 with Retry-After). */
  readonly maxStreams: number;
  /** Watches per stream (one more → 400). */
  readonly maxWatchesPerStream: number;
}

/** What {@link WatchHub.stats} reports. */
export interface WatchStats {
  /** Open streams. */
  readonly streams: number;
  /** Watches over every stream. */
  readonly watches: number;
  /** Per stream: its watches, the services owed to it, the bytes its connection holds unsent, lines written. */
  readonly perStream: readonly {
    readonly id: string;
    readonly watches: number;
    readonly pending: number;
    readonly buffered: number;
    readonly blocked: boolean;
    readonly lines: number;
  }[];
}

/** A fresh stream id: 128 random bits, hex (it is a capability: knowing it lets one steer the stream). */
export const newStreamId = (): string => randomBytes(16).toString('hex');

/** Every streaming watch of a server. */
export class WatchHub {
  readonly #limits: WatchLimits;
  readonly #newId: () => string;
  readonly #streams = new Map<string, WatchStream>();
  /** Lower-cased service name → streams watching it. */
  readonly #byService = new Map<string, Set<WatchStream>>();
  #watches = 0;

  constructor(limits: WatchLimits, newId: () => string = newStreamId) {
    this.#limits = limits;
    this.#newId = newId;
  }

  /** Open streams. */
  get size(): number {
    return this.#streams.size;
  }

  /** Watches over every stream. */
  get watchCount(): number {
    return this.#watches;
  }

  /** The open streams (tests, metrics). */
  streams(): IterableIterator<WatchStream> {
    return this.#streams.values();
  }

  /**
   * Opens a stream writing to `sink`. @throws ApiError 503 `ROSTER_SERVER_TOO_MANY_WATCH_STREAMS`
   * when the server holds its maximum.
   */
  open(token: string, sink: WatchSink, source: WatchSource): WatchStream {
    const max = this.#limits.maxStreams;
    if (this.#streams.size >= max) {
      throw new ApiError(ServerErrorCode.TooManyWatchStreams, `Too many watch streams open (limit ${max}); retry later`, {
        'Retry-After': '1',
      });
    }
    let id = this.#newId();
    while (this.#streams.has(id)) id = this.#newId();
    const onWatch = (stream: WatchStream, key: string, added: boolean) => {
      let set = this.#byService.get(key);
      if (added) {
        if (!set) this.#byService.set(key, (set = new Set()));
        set.add(stream);
        this.#watches++;
      } else if (set?.delete(stream)) {
        this.#watches--;
        if (set.size === 0) this.#byService.delete(key);
      }
    };
    const stream = new WatchStream({ id, token, sink, source, maxWatches: this.#limits.maxWatchesPerStream, onWatch });
    this.#streams.set(id, stream);
    return stream;
  }

  /** A snapshot of the open streams. */
  stats(): WatchStats {
    return {
      streams: this.#streams.size,
      watches: this.#watches,
      perStream: [...this.#streams.values()].map((s) => ({
        id: s.id,
        watches: s.size,
        pending: s.pending,
        buffered: s.buffered,
        blocked: s.blocked,
        lines: s.lines,
      })),
    };
  }

  /** The open stream with this id. */
  get(id: string): WatchStream | undefined {
    return this.#streams.get(id);
  }

  /** Ends one stream and forgets it (idempotent). */
  close(stream: WatchStream, last?: Buffer): void {
    if (this.#streams.get(stream.id) === stream) this.#streams.delete(stream.id);
    stream.end(last);
  }

  /** Marks the streams watching a touched service (called after each commit). */
  wake(touched: Iterable<IndexKey>): void {
    if (this.#streams.size === 0) return;
    for (const key of touched) {
      if (!key.startsWith('service:')) continue;
      const name = key.slice('service:'.length);
      const set = this.#byService.get(name);
      if (set) for (const stream of set) stream.mark(name);
    }
  }

  /** Ends every stream with `last` (server shutdown). */
  closeAll(last?: Buffer): void {
    for (const stream of [...this.#streams.values()]) this.close(stream, last);
  }
}
