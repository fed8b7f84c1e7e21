/**
 * The WHATWG `fetch` face over the Transport: `RequestInit` in, a standard `Response` out.
 * Bodies become bytes (so a call can be retried) unless they are streams. Redirects are not
 * followed: a redirect would leave service discovery; the 3xx response is returned.
 */
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { InvalidArgumentError } from '../errors.js';
import * as v from '../internal/options.js';
import type { RequestOptions } from './request-options.js';
import type { TransportResponse } from './transport.js';
import { safeString } from '../internal/safe-string.js';

/** `RequestInit` plus roster's per-call options. */
export interface DiscoveryRequestInit extends RequestInit {
  /** Balancing key for consistent hashing (a number counts as its text). */
  readonly key?: string | number;
  /** Overrides the retry rule for the method (see `RequestOptions.idempotent`). */
  readonly idempotent?: boolean;
}

/** Statuses whose responses have no body (Fetch standard "null body status"). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/** Turns fetch arguments into `request()` options; `url` is the input's URL. */
export async function fromFetchArguments(
  input: string | URL | Request,
  init: DiscoveryRequestInit | undefined,
): Promise<{ url: string | URL; options: RequestOptions }> {
  if (init !== undefined && (typeof init !== 'object' || init === null || Array.isArray(init))) {
    v.fail('init', `must be a RequestInit object, got ${v.describe(init)}`);
  }
  const request = input instanceof Request ? input : undefined;
  const url = request ? request.url : input instanceof URL ? input : safeString(input);
  const rawMethod: unknown = init?.method ?? request?.method ?? 'GET';
  if (typeof rawMethod !== 'string') v.fail('method', `must be an HTTP method name like "GET", got ${v.describe(rawMethod)}`);
  const method = rawMethod.toUpperCase();
  let headers: Record<string, string>;
  try {
    headers = toRecord(init?.headers ?? request?.headers);
  } catch (error) {
    throw new InvalidArgumentError('headers', error instanceof Error ? error.message : safeString(error), { cause: error });
  }
  let body: RequestOptions['body'];
  if (init?.body !== undefined && init.body !== null) {
    try {
      body = await toBody(init.body, headers);
    } catch (error) {
      throw new InvalidArgumentError('body', `cannot be sent: ${error instanceof Error ? error.message : v.describe(error)}`, {
        cause: error,
      });
    }
  } else if (init?.body === undefined && request?.body) body = new Uint8Array(await request.arrayBuffer());
  return {
    url,
    options: {
      method,
      headers,
      body,
      signal: init?.signal ?? request?.signal ?? undefined,
      key: init?.key,
      idempotent: init?.idempotent,
    },
  };
}

/** A standard `Response` over the transport response (the body streams, it is not buffered). */
export function toWebResponse(response: TransportResponse, method: string): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(response.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.append(name, value);
  }
  const empty = NULL_BODY.has(response.status) || method === 'HEAD';
  if (empty) response.body.dump().catch(() => {});
  const body = empty ? null : (Readable.toWeb(response.body) as NodeReadableStream as unknown as ReadableStream<Uint8Array>);
  return new Response(body, { status: response.status, headers });
}

function toRecord(init: RequestInit['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  if (init === undefined) return out;
  new Headers(init).forEach((value, name) => {
    out[name] = value;
  });
  return out;
}

/** Bytes for anything fetch accepts, except streams (sent as they are, once). */
async function toBody(body: NonNullable<RequestInit['body']>, headers: Record<string, string>): Promise<RequestOptions['body']> {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ReadableStream) return Readable.fromWeb(body as unknown as NodeReadableStream);
  // URLSearchParams, Blob, FormData: let the platform encode them and pick the content type.
  const encoded = new Response(body);
  const type = encoded.headers.get('content-type');
  if (type !== null && headers['content-type'] === undefined) headers['content-type'] = type;
  return new Uint8Array(await encoded.arrayBuffer());
}
