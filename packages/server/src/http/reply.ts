/**
 * Writing answers: JSON with Consul's index headers, text, streams, and refusals (text/plain with
 * the ApiError's status and headers). Route handlers never call these; the app does.
 */
import type { ServerResponse } from 'node:http';
import type { ApiError } from '../errors.js';
import { type EncodedBody, encodedLength, encodeJson } from './encode-json.js';
import { parseConsistency } from './query.js';
import type { ApiReply } from './route.js';

/**
 * The part of a reply this module writes through: Fastify's reply, or the lean path's
 * (lean-reply.ts) for the requests answered before Fastify. Header names are case-insensitive
 * (stored lower-case); `send` writes the status, the headers set so far, Content-Length and the
 * body; `hijack` says the answer is written to `raw` directly.
 */
export interface ReplyLike {
  readonly raw: ServerResponse;
  readonly statusCode: number;
  header(name: string, value: string): ReplyLike;
  getHeader(name: string): number | string | string[] | undefined;
  getHeaders(): Record<string, number | string | string[] | undefined>;
  code(status: number): ReplyLike;
  send(body?: Buffer): ReplyLike;
  hijack(): ReplyLike;
}

const JSON_TYPE = 'application/json';
const TEXT_TYPE = 'text/plain; charset=utf-8';

/** The consistency echoed in X-Consul-Effective-Consistency (`leader` when the query is invalid). */
export function consistencyOf(query: URLSearchParams): string {
  try {
    return parseConsistency(query);
  } catch {
    // The error answer itself says what is wrong; keep the default here.
    return 'leader';
  }
}

/** Adds the blocking-query headers (X-Consul-Index and friends). */
export function addIndexHeaders(reply: ReplyLike, index: number, query: URLSearchParams): void {
  reply.header('X-Consul-Index', String(Math.max(1, index)));
  reply.header('X-Consul-KnownLeader', 'true');
  reply.header('X-Consul-LastContact', '0');
  reply.header('X-Consul-Effective-Consistency', consistencyOf(query));
}

/** `Vary` of a cached read that could have been compressed; with `Content-Encoding` when it was. */
export const VARY_HEADERS: Readonly<Record<string, string>> = { Vary: 'Accept-Encoding' };
export const GZIP_HEADERS: Readonly<Record<string, string>> = { Vary: 'Accept-Encoding', 'Content-Encoding': 'gzip' };
/** Smaller answers go out as they are (compressing them costs more than it saves). */
export const GZIP_MIN_BYTES = 1024;

/**
 * The whole header list of an already-encoded JSON answer, as flat name/value pairs (names
 * lower-case, as Fastify writes them): `prefix` (headers set earlier: the ACL policy, the
 * filtered-by-ACLs flag), the index headers, `extra`, Content-Type and Content-Length. The same
 * list, in the same order, whether the answer goes out on a request's own path or to the queries
 * one commit wakes (held-read.ts).
 */
export function encodedHead(
  prefix: readonly string[],
  index: number | undefined,
  consistency: string,
  extra: Readonly<Record<string, string>> | undefined,
  length: number,
): string[] {
  const head = [...prefix];
  if (index !== undefined) {
    head.push(
      'x-consul-index',
      String(Math.max(1, index)),
      'x-consul-knownleader',
      'true',
      'x-consul-lastcontact',
      '0',
      'x-consul-effective-consistency',
      consistency,
    );
  }
  if (extra) for (const k of Object.keys(extra)) head.push(k.toLowerCase(), extra[k]!);
  head.push('content-type', JSON_TYPE, 'content-length', String(length));
  return head;
}

/** The headers already set on a reply, as flat pairs. */
export function headPairs(reply: ReplyLike): string[] {
  const out: string[] = [];
  const headers = reply.getHeaders();
  for (const k of Object.keys(headers)) {
    const v = headers[k];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const item of v) out.push(k, String(item));
    else out.push(k, String(v));
  }
  return out;
}

/** Writes a handler's answer. */
export function send(reply: ReplyLike, result: ApiReply, query: URLSearchParams): void {
  switch (result.kind) {
    case 'none':
      if (!reply.raw.destroyed) reply.raw.destroy();
      return;
    case 'empty':
      reply.code(200).send();
      return;
    case 'text':
      for (const [k, v] of Object.entries(result.headers ?? {})) reply.header(k, v);
      reply
        .code(result.status ?? 200)
        .header('Content-Type', result.contentType)
        .send(typeof result.body === 'string' ? Buffer.from(result.body) : result.body);
      return;
    case 'stream':
      reply.hijack();
      startStream(reply, result.start);
      return;
    case 'json': {
      if (result.encoded) {
        sendEncoded(reply, result.status ?? 200, result, query);
        return;
      }
      if (result.index !== undefined) addIndexHeaders(reply, result.index, query);
      for (const [k, v] of Object.entries(result.headers ?? {})) reply.header(k, v);
      reply.code(result.status ?? 200).header('Content-Type', JSON_TYPE);
      reply.send(encodeJson(result.body, query.has('pretty')));
      return;
    }
    case 'held':
      // Hijacked when held: the wake writes the answer (held-read.ts).
      return;
  }
}

/**
 * Writes an answer that is already encoded (a cached read) straight to the connection, without
 * Fastify's send path (serializers, onSend hooks — the app refuses to start with one,
 * `bypassedHooksError` — payload checks) and without setting its headers one by one on the reply: one header list
 * (encodedHead) to writeHead, then a single buffer with the head in one write, or chunks (cached
 * pieces, not copied into one buffer) corked, in one writev with the end of the answer. The
 * reply's listeners (metrics) still see the response finish.
 */
function sendEncoded(
  reply: ReplyLike,
  status: number,
  result: { readonly encoded?: EncodedBody; readonly index?: number; readonly headers?: Record<string, string> },
  query: URLSearchParams,
): void {
  const body = result.encoded!;
  const head = encodedHead(headPairs(reply), result.index, consistencyOf(query), result.headers, encodedLength(body));
  reply.hijack();
  const res = reply.raw;
  res.writeHead(status, head);
  if (Buffer.isBuffer(body)) {
    res.end(body);
    return;
  }
  // The last chunk goes through end(): Node then flushes head, chunks and end in one writev. An
  // end() after uncork() would be a write of its own whenever the socket's write completes later
  // (always over TLS: one more TLS write, syscall and completion callback per answer, D175).
  res.cork();
  const last = body.length - 1;
  for (let i = 0; i < last; i++) res.write(body[i]);
  res.end(last >= 0 ? body[last] : undefined);
}

function startStream(reply: ReplyLike, start: (res: ServerResponse) => void): void {
  const policy = reply.getHeader('X-Consul-Default-ACL-Policy');
  if (typeof policy === 'string') reply.raw.setHeader('X-Consul-Default-ACL-Policy', policy);
  start(reply.raw);
}

/** Writes a refusal: its status, its headers, its message as text/plain. */
export function sendError(reply: ReplyLike, error: ApiError): void {
  for (const [k, v] of Object.entries(error.headers)) reply.header(k, v);
  reply.code(error.status).header('Content-Type', TEXT_TYPE).send(Buffer.from(error.message));
}

/** Writes a text/plain answer. */
export function sendText(reply: ReplyLike, status: number, text: string): void {
  reply.code(status).header('Content-Type', TEXT_TYPE).send(Buffer.from(text));
}
