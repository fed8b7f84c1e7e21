/**
 * The call contracts of the discovery-aware client (DESIGN.md §3–§4): a Transport sends one
 * request and resolves with the response headers; a Middleware wraps a Transport into another.
 *
 *     compose(timeout(overall), retry(), timeout(attempt), balance(balancer))(undiciTransport())
 *
 * A request starts *logical* (`origin` is `http://<service>`); `balance()` turns it into a
 * request to one instance (`origin` is `http://<address>:<port>`, `instance` set).
 */
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { Picker } from '../balancer/balancer.js';
import type { Instance } from '../model.js';

/**
 * A request body. Strings and bytes can be sent again, so calls with them may be retried;
 * a stream is sent once (a call with a stream body is never retried).
 */
export type RequestBody = string | Uint8Array | Readable;

/** Request headers: a value or several per name; `undefined` values are skipped. */
export type RequestHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** The response body: undici's readable (`.text()`, `.json()`, `.bytes()`, `.dump()`, or a Node stream). */
export type ResponseBody = Dispatcher.ResponseData['body'];

/**
 * What `retry()` and `balance()` share about one call, created by `retry()` for a call it may
 * retry and written by `balance()` on every attempt.
 */
export interface CallAttempts {
  /** Ids of the instances tried so far, oldest first. `balance()` appends and never picks one of them again. */
  readonly tried: string[];
  /**
   * The picker `balance()` chose from on the latest attempt: `retry()` asks it whether an
   * instance not yet tried is left before it spends budget on a retry.
   */
  picker: Picker | undefined;
}

/** One HTTP request travelling down a middleware chain. Immutable: a middleware passes a changed copy. */
export interface TransportRequest {
  /** The logical service, e.g. `orders`: for errors, stats and diagnostics. */
  readonly service: string;
  /**
   * Scheme and authority: `http://orders` while logical, `http://10.0.0.7:8080` after
   * `balance()` chose an instance.
   */
  readonly origin: string;
  /** Path and query, starting with `/`. */
  readonly path: string;
  /** Upper-case HTTP method. */
  readonly method: string;
  readonly headers?: RequestHeaders;
  readonly body?: RequestBody | null;
  /** The caller's signal: aborting rejects the call with `AbortedError`. */
  readonly signal?: AbortSignal;
  /**
   * Time (on the chain's clock, ms) by which the response headers must have arrived; set by
   * `timeout()`, which only ever lowers it. Every Transport honours it (grpc-style deadline).
   */
  readonly deadline?: number;
  /** Balancing key for key-affine strategies (consistent hashing): a user id, a cart id. */
  readonly key?: string;
  /**
   * Overrides the method rule of `retry()`: `true` for a POST the server deduplicates (an
   * idempotency key), `false` for a GET with side effects.
   */
  readonly idempotent?: boolean;
  /** Set by `retry()` for calls it may retry; read and written by `balance()`. */
  readonly attempts?: CallAttempts;
  /** The instance `balance()` chose; set on the requests below it. */
  readonly instance?: Instance;
}

/** The response of one attempt, at the time its headers arrived. */
export interface TransportResponse {
  readonly status: number;
  /** Response headers, names in lower case. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The body. Always consume it (`.text()`, `.json()`, `.dump()`): it holds a pooled connection until then. */
  readonly body: ResponseBody;
  /** The instance that answered (undefined for a request that never went through `balance()`). */
  readonly instance: Instance | undefined;
}

/**
 * Sends a request; resolves with the response once its headers arrived, whatever the status.
 *
 * Contract: rejects for transport failures (refused, reset, ...) with the transport's error,
 * with `TimeoutError` when `request.deadline` passes before the headers arrive, and with
 * `AbortedError` when `request.signal` aborts. Never blocks the event loop.
 */
export type Transport = (request: TransportRequest) => Promise<TransportResponse>;

/** Behaviour wrapped around a Transport (undici interceptor / cockatiel policy style). */
export type Middleware = (next: Transport) => Transport;
