/**
 * The client side of roster serve's streaming watch (`/v1/roster/watch`): every watch of one
 * Consul-backend registry shares one stream, so a process watching many services holds one
 * long-lived connection instead of one blocking query per service. The stream is opened on the
 * first watch and closed when the last one ends; watches are added and removed with small PUT and
 * DELETE requests, sent one at a time (so they reuse one keep-alive connection).
 *
 * Feature discovery, not configuration: the first watch tries to open the stream; a server that
 * answers 404 or 405 (real Consul, an older roster serve, one with the stream switched off) has
 * none, and the backend uses blocking queries. The answer is asked again after a blocking query
 * fails (the server may have been replaced).
 */
import { StringDecoder } from 'node:string_decoder';
import { RegistryUnavailableError } from '../../errors.js';
import { type ConsulHttp, consulError } from './consul-http.js';

/** One update of one service, as the stream sends it. */
export interface StreamLine {
  readonly service: string;
  readonly index: number;
  /** `/v1/health/service/<name>` entries. */
  readonly entries: readonly unknown[];
}

/** One watch's part in a stream attempt. */
export interface StreamWatch {
  readonly service: string;
  /** Resume from this index (0: send the current state at once). */
  readonly index: number;
  /** Ends the attempt (resolves `aborted`). */
  readonly signal: AbortSignal;
  /** The watch is on the stream (the server accepted it). */
  readonly onReady: () => void;
  /** Each line of the service. Must not throw. */
  readonly onLine: (line: StreamLine) => void;
}

/** How long the stream may be silent before it counts as dead (the server sends a keep-alive every 15 s). */
export const STREAM_IDLE_MS = 60_000;

interface Connection {
  readonly id: string;
  readonly abort: AbortController;
  dead: boolean;
  /** Resolves with the reason once the stream ended. */
  readonly ended: Promise<Error>;
}

const enc = encodeURIComponent;

/** The shared stream of one registry (see the file comment). */
export class WatchStreamClient {
  readonly #http: ConsulHttp;
  readonly #life: AbortSignal;
  #mode: 'unknown' | 'supported' | 'unsupported' = 'unknown';
  #conn: Connection | undefined;
  #opening: Promise<Connection | undefined> | undefined;
  readonly #subs = new Map<string, Set<StreamWatch>>();
  /** Control requests, one at a time. */
  #control: Promise<unknown> = Promise.resolve();

  constructor(http: ConsulHttp, life: AbortSignal) {
    this.#http = http;
    this.#life = life;
  }

  /** False once the server said it has no stream (until {@link reprobe}). */
  get usable(): boolean {
    return this.#mode !== 'unsupported';
  }

  /** Ask the server again at the next watch attempt. */
  reprobe(): void {
    if (this.#mode === 'unsupported') this.#mode = 'unknown';
  }

  /**
   * Runs one watch attempt over the shared stream: resolves `unsupported` at once when the server
   * has no stream, `aborted` when `watch.signal` aborts; throws when the stream fails or ends
   * (RegistryUnavailableError: the watch loop retries) or the server refuses the watch.
   */
  async run(watch: StreamWatch): Promise<'unsupported' | 'aborted'> {
    if (this.#mode === 'unsupported') return 'unsupported';
    let conn = await this.#connect();
    // Closed in between (its last watch ended): open the next one.
    if (conn?.dead) conn = await this.#connect();
    if (!conn) return 'unsupported';
    const key = watch.service.toLowerCase();
    let set = this.#subs.get(key);
    if (!set) this.#subs.set(key, (set = new Set()));
    set.add(watch);
    let onAbort = () => {};
    try {
      await this.#controlCall(conn, 'PUT', watch.service, watch.index);
      watch.onReady();
      return await new Promise<'aborted'>((resolve, reject) => {
        onAbort = () => resolve('aborted');
        if (watch.signal.aborted) return resolve('aborted');
        watch.signal.addEventListener('abort', onAbort, { once: true });
        conn.ended.then(reject);
      });
    } finally {
      watch.signal.removeEventListener('abort', onAbort);
      set.delete(watch);
      if (set.size === 0 && this.#subs.get(key) === set) {
        this.#subs.delete(key);
        if (!conn.dead) {
          if (this.#subs.size > 0) this.#controlCall(conn, 'DELETE', watch.service).catch(() => {});
          // Closed when no watch is left after this turn (a watch that restarts at once keeps it).
          else setImmediate(() => this.#subs.size === 0 && !conn.dead && this.#close(conn));
        }
      }
    }
  }

  /** The open stream, opened when there is none; undefined when the server has no stream. */
  #connect(): Promise<Connection | undefined> {
    if (this.#conn && !this.#conn.dead) return Promise.resolve(this.#conn);
    this.#opening ??= this.#open().finally(() => {
      this.#opening = undefined;
    });
    return this.#opening;
  }

  async #open(): Promise<Connection | undefined> {
    const abort = new AbortController();
    const onLife = () => abort.abort(this.#life.reason);
    this.#life.addEventListener('abort', onLife, { once: true });
    const res = await this.#http
      .openStream({ path: '/v1/roster/watch', signal: AbortSignal.any([abort.signal, this.#life]), idleMs: STREAM_IDLE_MS })
      .catch((error: unknown) => {
        this.#life.removeEventListener('abort', onLife);
        throw error;
      });
    const id = res.headers['x-roster-watch-stream'];
    if (res.status === 404 || res.status === 405 || (res.status === 200 && typeof id !== 'string')) {
      this.#life.removeEventListener('abort', onLife);
      abort.abort();
      this.#mode = 'unsupported';
      return undefined;
    }
    if (res.status !== 200 || !res.body || typeof id !== 'string') {
      this.#life.removeEventListener('abort', onLife);
      throw consulError(res.status, res.text, 'watch stream');
    }
    this.#mode = 'supported';
    let finish!: (reason: Error) => void;
    const conn: Connection = { id, abort, dead: false, ended: new Promise<Error>((r) => (finish = r)) };
    this.#conn = conn;
    void this.#read(conn, res.body).then((reason) => {
      this.#life.removeEventListener('abort', onLife);
      conn.dead = true;
      if (this.#conn === conn) this.#conn = undefined;
      finish(new RegistryUnavailableError(`watch stream ${id}: ${reason}`));
    });
    return conn;
  }

  /** Reads lines until the stream ends; resolves with why it ended. */
  async #read(conn: Connection, body: AsyncIterable<Buffer>): Promise<string> {
    const decoder = new StringDecoder('utf8');
    let rest = '';
    let closed: string | undefined;
    try {
      for await (const chunk of body) {
        rest += decoder.write(chunk);
        let nl: number;
        while ((nl = rest.indexOf('\n')) >= 0) {
          const text = rest.slice(0, nl);
          rest = rest.slice(nl + 1);
          const line = parseLine(text);
          if (line === undefined) continue;
          if ('closed' in line) closed = line.closed;
          else this.#dispatch(line);
        }
      }
      return closed === undefined ? 'the server ended it' : `the server ended it (${closed})`;
    } catch (error) {
      if (conn.abort.signal.aborted) return 'closed';
      return (error as Error).message;
    }
  }

  #dispatch(line: StreamLine): void {
    const set = this.#subs.get(line.service.toLowerCase());
    if (set) for (const watch of [...set]) watch.onLine(line);
  }

  #close(conn: Connection): void {
    conn.dead = true;
    if (this.#conn === conn) this.#conn = undefined;
    conn.abort.abort();
  }

  /** A PUT or DELETE of one watch, after the control requests before it. */
  async #controlCall(conn: Connection, method: 'PUT' | 'DELETE', service: string, index?: number): Promise<void> {
    const call = this.#control.then(() =>
      this.#http.send({
        method,
        path: `/v1/roster/watch/${conn.id}/${enc(service)}`,
        query: index ? { index } : {},
        signal: this.#life,
      }),
    );
    // The next one waits a turn: undici frees the connection just after the answer was read, and
    // a request sent before that would open a second one.
    this.#control = call.then(afterTurn, afterTurn);
    const res = await call;
    if (res.status === 200) return;
    if (res.status === 404) {
      // The stream ended under us (the server restarted): the attempt is retried on a new one.
      this.#close(conn);
      throw new RegistryUnavailableError(`watch stream ${conn.id} is gone: ${String(res.body).trim()}`);
    }
    throw consulError(res.status, res.body, `watch ${service}`);
  }
}

const afterTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A line of the stream; undefined for lines this client does not use (the first line, keep-alives). */
function parseLine(text: string): StreamLine | { closed: string } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as { Service?: unknown; Index?: unknown; Entries?: unknown; Closed?: unknown };
  if (typeof v.Closed === 'string') return { closed: v.Closed };
  if (typeof v.Service !== 'string' || typeof v.Index !== 'number' || !Array.isArray(v.Entries)) return undefined;
  return { service: v.Service, index: v.Index, entries: v.Entries };
}
