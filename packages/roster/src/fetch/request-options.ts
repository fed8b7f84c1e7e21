/** The per-call options of `request()`, and how a call becomes a TransportRequest. */
import { InvalidArgumentError } from '../errors.js';
import * as v from '../internal/options.js';
import type { RequestBody, RequestHeaders, TransportRequest } from './transport.js';

/** Options of one call made with `request()`. */
export interface RequestOptions {
  /** HTTP method. Default `GET`. */
  readonly method?: string;
  readonly headers?: RequestHeaders;
  /** Strings and bytes may be retried; a stream is sent once. */
  readonly body?: RequestBody | null;
  /** Aborting rejects the call with `AbortedError` (and aborts the body download). */
  readonly signal?: AbortSignal;
  /** Balancing key for consistent hashing (a user id, a cart id; a number counts as its text). */
  readonly key?: string | number;
  /** Overrides the retry rule for the method: `true` lets a POST with an idempotency key be retried. */
  readonly idempotent?: boolean;
}

const NO_OPTIONS: RequestOptions = Object.freeze({});
const KNOWN = new Set(['method', 'headers', 'body', 'signal', 'key', 'idempotent']);
/** RFC 9110 token: methods and header names. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const UNSAFE_VALUE = /[\r\n\0]/;

/**
 * Checks one call's options (cheap: a few type tests; no allocation when valid).
 * @throws InvalidArgumentError naming the bad option.
 */
export function checkRequestOptions(options: unknown): asserts options is RequestOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    v.fail('options', `must be an options object, got ${v.describe(options)}`);
  }
  const o = options as Record<string, unknown>;
  for (const key in o) if (!KNOWN.has(key)) v.fail(key, `unknown option (known: ${[...KNOWN].join(', ')})`);
  const { method, headers, body, signal, key, idempotent } = o;
  if (method !== undefined && (typeof method !== 'string' || method.length > 32 || !TOKEN.test(method))) {
    v.fail('method', `must be an HTTP method name like "GET", got ${v.describe(method)}`);
  }
  if (headers !== undefined) checkHeaders(headers);
  if (
    body !== undefined &&
    body !== null &&
    typeof body !== 'string' &&
    !(body instanceof Uint8Array) &&
    typeof (body as { pipe?: unknown }).pipe !== 'function'
  ) {
    v.fail('body', `must be a string, bytes (Uint8Array) or a readable stream, got ${v.describe(body)}`);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) v.fail('signal', `must be an AbortSignal, got ${v.describe(signal)}`);
  if (key !== undefined && typeof key !== 'string' && typeof key !== 'number') v.fail('key', `must be a string, got ${v.describe(key)}`);
  if (idempotent !== undefined && typeof idempotent !== 'boolean')
    v.fail('idempotent', `must be true or false, got ${v.describe(idempotent)}`);
}

function checkHeaders(headers: unknown): void {
  if (!v.isPlainObject(headers)) {
    v.fail('headers', `must be a plain object of header names to values, got ${v.describe(headers)}`);
  }
  for (const name in headers) {
    if (!TOKEN.test(name)) v.fail(`headers.${name}`, 'is not a valid header name');
    const value = (headers as Record<string, unknown>)[name];
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    for (const item of values) {
      if (typeof item !== 'string') v.fail(`headers.${name}`, `must be a string or an array of strings, got ${v.describe(item)}`);
      if (UNSAFE_VALUE.test(item)) v.fail(`headers.${name}`, 'must not contain CR, LF or NUL');
    }
  }
}

/**
 * The TransportRequest of one call to `service` (`origin` is `http://<service>`, logical).
 * @throws InvalidArgumentError for a path that does not start with `/`, or a bad option.
 */
export function transportRequest(service: string, origin: string, path: string, options: RequestOptions = NO_OPTIONS): TransportRequest {
  if (typeof path !== 'string' || path.charCodeAt(0) !== 47)
    throw new InvalidArgumentError('path', `must start with "/", got ${v.describe(path)}`);
  if (options !== NO_OPTIONS) checkRequestOptions(options);
  const method = options.method;
  const key = options.key;
  // Every field present, unset ones undefined: the middlewares copy requests with `{ ...req, field }`,
  // which V8 does in tens of nanoseconds when `field` exists and in microseconds when it is added.
  return {
    service,
    origin,
    path,
    method: method === undefined ? 'GET' : method.toUpperCase(),
    headers: options.headers,
    body: options.body,
    signal: options.signal,
    deadline: undefined,
    key: typeof key === 'number' ? String(key) : key,
    idempotent: options.idempotent,
    attempts: undefined,
    instance: undefined,
  };
}
