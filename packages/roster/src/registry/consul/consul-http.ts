/**
 * ConsulHttp: the few HTTP calls the Consul backend makes, over undici with keep-alive.
 * It owns the wire details (token header, `dc`, timeouts, error mapping) so the registry code
 * speaks in values: a status, an index, a decoded body.
 */
import { Agent, type Dispatcher, request } from 'undici';
import {
  AbortedError,
  AccessDeniedError,
  InvalidArgumentError,
  NotFoundError,
  RegistryUnavailableError,
  type RosterError,
} from '../../errors.js';
import { serverNameConnect } from '../tls-material.js';
import { tlsHint } from './tls-hint.js';

/** One answer from Consul. */
export interface ConsulResponse {
  readonly status: number;
  /** `X-Consul-Index` (0 when absent). */
  readonly index: number;
  /** Parsed JSON when the answer was JSON, else the text. */
  readonly body: unknown;
  /** The `Content-Type` of the answer (`''` when absent). */
  readonly contentType: string;
}

/** Options of {@link ConsulHttp}. */
export interface ConsulHttpOptions {
  /** Base URL, e.g. `http://127.0.0.1:8500`. */
  readonly baseUrl: string;
  readonly token?: string;
  readonly datacenter?: string;
  /** Timeout of a non-blocking call (default 10 s). */
  readonly timeoutMs?: number;
  /** An undici dispatcher to use instead of the backend's own keep-alive Agent. */
  readonly dispatcher?: Dispatcher;
  /**
   * TLS of the backend's own Agent: CA, client certificate and key (PEM), and the server name the
   * registry's certificate is verified against (default the URL's host). Not with `dispatcher`.
   */
  readonly tls?: {
    readonly ca?: Buffer | string;
    readonly cert?: Buffer | string;
    readonly key?: Buffer | string;
    readonly serverName?: string;
  };
}

/** Query parameters: a value, or several for repeated keys; `''` sends `key=`. */
export type Query = Record<string, string | number | readonly string[] | undefined>;

/** A request to Consul. */
export interface ConsulRequest {
  readonly method: 'GET' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly query?: Query;
  readonly body?: unknown;
  readonly signal?: AbortSignal;
  /** Overrides the call timeout (blocking queries pass wait + jitter + margin). */
  readonly timeoutMs?: number;
}

/** An answer whose body is read as it arrives (a streaming watch). */
export interface ConsulStream {
  readonly status: number;
  /** Response headers, names lower-cased. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The body as it arrives (when status is 200), else undefined. */
  readonly body: AsyncIterable<Buffer> | undefined;
  /** The whole body of an answer that is not 200 (the refusal's text). */
  readonly text: string;
}

/** Maps a non-2xx Consul answer to the roster error a caller should see. */
export function consulError(status: number, body: unknown, what: string): RosterError {
  const text = typeof body === 'string' ? body.trim().slice(0, 300) : JSON.stringify(body);
  const message = `${what}: Consul answered ${status}${text ? ` (${text})` : ''}`;
  if (status === 404) return new NotFoundError(message);
  if (status === 401 || status === 403) return new AccessDeniedError(message);
  if (status >= 500 || status === 429) return new RegistryUnavailableError(message);
  if (status === 400) return new InvalidArgumentError('registration', message);
  return new RegistryUnavailableError(message, { cause: { status } });
}

/** HTTP client for the Consul API. */
export class ConsulHttp {
  readonly #base: URL;
  readonly #token: string | undefined;
  readonly #dc: string | undefined;
  readonly #timeoutMs: number;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #clientCertificate: boolean;

  constructor(options: ConsulHttpOptions) {
    this.#base = new URL(options.baseUrl);
    this.#token = options.token;
    this.#dc = options.datacenter;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#ownsDispatcher = options.dispatcher === undefined;
    // A caller's own dispatcher may carry a client certificate we cannot see.
    this.#clientCertificate = options.tls?.cert !== undefined || options.dispatcher !== undefined;
    this.#dispatcher =
      options.dispatcher ??
      new Agent({
        keepAliveTimeout: 30_000,
        connections: 64,
        pipelining: 1,
        ...(options.tls ? { connect: connectOptions(options.tls) } : {}),
      });
  }

  /** Sends one request. Network failures and timeouts become RegistryUnavailableError. */
  async send(req: ConsulRequest): Promise<ConsulResponse> {
    const url = new URL(req.path, this.#base);
    const query: Query = { ...req.query };
    if (this.#dc !== undefined) query.dc = this.#dc;
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const v of value) url.searchParams.append(key, v);
      else url.searchParams.append(key, String(value));
    }
    const headers: Record<string, string> = {};
    if (this.#token !== undefined) headers['x-consul-token'] = this.#token;
    let body: string | undefined;
    if (req.body !== undefined) {
      body = JSON.stringify(req.body);
      headers['content-type'] = 'application/json';
    }
    const timeoutMs = Math.ceil(req.timeoutMs ?? this.#timeoutMs);
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
    try {
      const res = await request(url, {
        method: req.method,
        headers,
        body,
        signal,
        dispatcher: this.#dispatcher,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const text = await res.body.text();
      const type = String(res.headers['content-type'] ?? '');
      let parsed: unknown = text;
      if (type.includes('json') && text !== '') {
        try {
          parsed = JSON.parse(text);
        } catch (error) {
          throw new RegistryUnavailableError(`${req.method} ${req.path}: invalid JSON from Consul`, { cause: error });
        }
      }
      const rawIndex = res.headers['x-consul-index'];
      const index = typeof rawIndex === 'string' && /^\d+$/.test(rawIndex) ? Number(rawIndex) : 0;
      return { status: res.statusCode, index, body: parsed, contentType: type };
    } catch (error) {
      if (req.signal?.aborted) throw new AbortedError(req.signal.reason);
      if (error instanceof RegistryUnavailableError) throw error;
      const reason = timeout.aborted
        ? `timed out after ${timeoutMs} ms`
        : `${(error as Error).message}${tlsHint(error, url.protocol, this.#clientCertificate)}`;
      throw new RegistryUnavailableError(`${req.method} ${url.origin}${req.path}: ${reason}`, { cause: error });
    }
  }

  /**
   * Opens a long-lived GET whose body is read as it arrives. The answer head must come within the
   * call timeout; after it, the body may be silent for at most `idleMs` (the server sends
   * keep-alives) before the stream fails. Network failures become RegistryUnavailableError.
   */
  async openStream(req: { path: string; query?: Query; signal: AbortSignal; idleMs: number }): Promise<ConsulStream> {
    const url = new URL(req.path, this.#base);
    for (const [key, value] of Object.entries({ ...req.query, ...(this.#dc === undefined ? {} : { dc: this.#dc }) })) {
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const v of value) url.searchParams.append(key, v);
      else url.searchParams.append(key, String(value));
    }
    const headers: Record<string, string> = {};
    if (this.#token !== undefined) headers['x-consul-token'] = this.#token;
    try {
      const res = await request(url, {
        method: 'GET',
        headers,
        signal: req.signal,
        dispatcher: this.#dispatcher,
        headersTimeout: this.#timeoutMs,
        bodyTimeout: req.idleMs,
      });
      if (res.statusCode !== 200) return { status: res.statusCode, headers: res.headers, body: undefined, text: await res.body.text() };
      return { status: 200, headers: res.headers, body: res.body as AsyncIterable<Buffer>, text: '' };
    } catch (error) {
      if (req.signal.aborted) throw new AbortedError(req.signal.reason);
      const hint = tlsHint(error, url.protocol, this.#clientCertificate);
      throw new RegistryUnavailableError(`GET ${url.origin}${req.path}: ${(error as Error).message}${hint}`, { cause: error });
    }
  }

  /** Closes the connection pool (only if this client created it). */
  async close(): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }
}

/** undici's connect options for `tls`: the PEM material, and the server name's SNI and identity check. */
function connectOptions(tls: NonNullable<ConsulHttpOptions['tls']>) {
  const { serverName, ...material } = tls;
  return { ...material, ...(serverName === undefined ? {} : serverNameConnect(serverName)) };
}
