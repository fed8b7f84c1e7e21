/**
 * One streaming watch (`GET /v1/roster/watch`): the set of services a client watches over one
 * connection, and what is still owed to it. A change marks a watched service *dirty*; a flush
 * writes the newest state of each dirty service, one line each, while the connection takes it.
 * When the socket's buffer is full the flush stops and resumes on `drain`, so a slow reader never
 * gets a backlog: a service that changes ten times while the reader is behind is sent once, in
 * its newest state. Memory per stream is bounded by its watch count (one small record and at
 * most one dirty mark each) plus one line beyond the socket's high-water mark.
 */
import { ApiError, ServerErrorCode } from '../errors.js';

/** Where a stream's lines go (the HTTP response). */
export interface WatchSink {
  /** Writes one chunk; false when the buffer is full (wait for `onDrain` before writing more). */
  write(chunk: Buffer): boolean;
  /** Holds writes back until {@link uncork}, to send them in one write (a burst's lines). */
  cork(): void;
  /** Sends what {@link cork} held back. */
  uncork(): void;
  /** Calls `fn` once when the buffer has drained. */
  onDrain(fn: () => void): void;
  /** Bytes written and not yet taken by the connection. */
  buffered(): number;
  /** Ends the stream, writing `last` first when given. */
  end(last?: Buffer): void;
}

/** What a stream asks of the catalog and the HTTP edge. */
export interface WatchSource {
  /** The service's current index (≥ 1). */
  indexOf(name: string): number;
  /** The global index: a watch index above it came from another server. */
  current(): number;
  /** The encoded line of a service's current state, as this stream may see it. */
  render(name: string): Buffer;
}

/** A watched service. */
interface Watch {
  /** Name as the client spelled it (lines carry it back). */
  readonly name: string;
  /** Index of the last line sent (or the index the client resumed from). */
  sent: number;
  /** Send once even when the index did not move (a watch from index 0 or from another server). */
  force: boolean;
}

/** The key of a service name (service names are case-insensitive). */
export const watchKey = (name: string): string => name.toLowerCase();

/** One stream and its watches. */
export class WatchStream {
  /** The stream id (unguessable; control requests name it). */
  readonly id: string;
  /** The ACL token the stream was opened with (control requests must carry the same). */
  readonly token: string;
  readonly #sink: WatchSink;
  readonly #source: WatchSource;
  readonly #maxWatches: number;
  readonly #watches = new Map<string, Watch>();
  readonly #dirty = new Set<string>();
  readonly #onWatch: (stream: WatchStream, key: string, added: boolean) => void;
  #scheduled = false;
  #blocked = false;
  #ended = false;
  /** Lines written (for tests and metrics). */
  lines = 0;

  constructor(options: {
    id: string;
    token: string;
    sink: WatchSink;
    source: WatchSource;
    maxWatches: number;
    /** Told when a service key starts or stops being watched (the hub's index). */
    onWatch: (stream: WatchStream, key: string, added: boolean) => void;
  }) {
    this.id = options.id;
    this.token = options.token;
    this.#sink = options.sink;
    this.#source = options.source;
    this.#maxWatches = options.maxWatches;
    this.#onWatch = options.onWatch;
  }

  /** Number of watched services. */
  get size(): number {
    return this.#watches.size;
  }

  /** Services marked changed and not yet written. */
  get pending(): number {
    return this.#dirty.size;
  }

  /** True while the connection's buffer is full (the stream waits for `drain`). */
  get blocked(): boolean {
    return this.#blocked;
  }

  /** Bytes the connection holds unsent. */
  get buffered(): number {
    return this.#ended ? 0 : this.#sink.buffered();
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** The watched service names, as spelled by the client. */
  names(): string[] {
    return [...this.#watches.values()].map((w) => w.name);
  }

  /**
   * Watches `name` from `index` (replacing an earlier watch of it): its state is sent at once
   * when it is past `index` (or `index` is 0, or above the server's index: another server's),
   * else at its next change. @throws ApiError 400 `ROSTER_SERVER_TOO_MANY_WATCHES` over the limit.
   */
  add(name: string, index: number): void {
    const key = watchKey(name);
    const existing = this.#watches.has(key);
    if (!existing && this.#watches.size >= this.#maxWatches) {
      throw new ApiError(
        ServerErrorCode.TooManyWatches,
        `Too many watches on stream ${this.id} (limit ${this.#maxWatches}); remove one or open another stream`,
      );
    }
    const force = index === 0 || index > this.#source.current();
    this.#watches.set(key, { name, sent: index, force });
    if (!existing) this.#onWatch(this, key, true);
    if (force || this.#source.indexOf(name) > index) this.mark(key);
    else this.#dirty.delete(key);
  }

  /** Stops watching `name`; false when it was not watched. */
  remove(name: string): boolean {
    const key = watchKey(name);
    if (!this.#watches.delete(key)) return false;
    this.#dirty.delete(key);
    this.#onWatch(this, key, false);
    return true;
  }

  /** Marks a watched service changed and schedules a flush (coalesced with other marks). */
  mark(key: string): void {
    if (this.#ended || !this.#watches.has(key)) return;
    this.#dirty.add(key);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled || this.#blocked || this.#ended) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.flush();
    });
  }

  /** Writes the newest state of every dirty service while the connection takes it. */
  flush(): void {
    if (this.#blocked || this.#ended) return;
    // A burst's lines leave in one write.
    this.#sink.cork();
    try {
      this.#writeDirty();
    } finally {
      this.#sink.uncork();
    }
  }

  #writeDirty(): void {
    for (const key of this.#dirty) {
      this.#dirty.delete(key);
      const watch = this.#watches.get(key);
      if (!watch) continue;
      const index = this.#source.indexOf(watch.name);
      if (!watch.force && index <= watch.sent) continue;
      watch.force = false;
      watch.sent = index;
      this.lines++;
      if (!this.#sink.write(this.#source.render(watch.name))) {
        this.#blocked = true;
        this.#sink.onDrain(() => {
          this.#blocked = false;
          if (this.#dirty.size > 0) this.#schedule();
        });
        return;
      }
    }
  }

  /** Writes a line outside the watch set (keep-alive) unless the connection is behind. */
  ping(line: Buffer): void {
    if (!this.#ended && !this.#blocked) this.#sink.write(line);
  }

  /** Ends the stream (idempotent): writes `last`, forgets every watch. */
  end(last?: Buffer): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const key of this.#watches.keys()) this.#onWatch(this, key, false);
    this.#watches.clear();
    this.#dirty.clear();
    this.#sink.end(last);
  }
}
