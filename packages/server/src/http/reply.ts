/**
 * Writing answers: JSON with Consul's index headers, text, streams, and refusals (text/plain with
 * the ApiError's status and headers). Route handlers never call these; the app does.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { ApiError } from '../errors.js';
import { type EncodedBody, encodedLength, encodeJson } from './encode-json.js';
import { parseConsistency } from './query.js';
import type { ApiReply } from './route.js';

const JSON_TYPE = 'application/json';
const TEXT_TYPE = 'text/plain; charset=utf-8';

/** Adds the blocking-query headers (X-Consul-Index and friends). */
export function addIndexHeaders(reply: FastifyReply, index: number, query: URLSearchParams): void {
  let consistency = 'leader';
  try {
    consistency = parseConsistency(query);
  } catch {
    // The error answer itself says what is wrong; keep the default here.
  }
  reply.header('X-Consul-Index', String(Math.max(1, index)));
  reply.header('X-Consul-KnownLeader', 'true');
  reply.header('X-Consul-LastContact', '0');
  reply.header('X-Consul-Effective-Consistency', consistency);
}

/** Writes a handler's answer. */
export function send(reply: FastifyReply, result: ApiReply, query: URLSearchParams): void {
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
      if (result.index !== undefined) addIndexHeaders(reply, result.index, query);
      for (const [k, v] of Object.entries(result.headers ?? {})) reply.header(k, v);
      reply.code(result.status ?? 200).header('Content-Type', JSON_TYPE);
      if (result.encoded) sendEncoded(reply, result.encoded);
      else reply.send(encodeJson(result.body, query.has('pretty')));
      return;
    }
  }
}

/**
 * Writes an answer that is already encoded (a cached read, e.g. each of the queries one commit
 * wakes) straight to the connection, without Fastify's send path (serializers, onSend hooks,
 * payload checks) per connection: a single buffer with the head in one write; chunks (cached
 * pieces, not copied into one buffer) corked, in one writev with the end of the answer. The reply's listeners (metrics)
 * still see the response finish.
 */
function sendEncoded(reply: FastifyReply, body: EncodedBody): void {
  reply.header('Content-Length', String(encodedLength(body)));
  reply.hijack();
  const res = reply.raw;
  res.writeHead(reply.statusCode, reply.getHeaders() as OutgoingHttpHeaders);
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

function startStream(reply: FastifyReply, start: (res: ServerResponse) => void): void {
  const policy = reply.getHeader('X-Consul-Default-ACL-Policy');
  if (typeof policy === 'string') reply.raw.setHeader('X-Consul-Default-ACL-Policy', policy);
  start(reply.raw);
}

/** Writes a refusal: its status, its headers, its message as text/plain. */
export function sendError(reply: FastifyReply, error: ApiError): void {
  for (const [k, v] of Object.entries(error.headers)) reply.header(k, v);
  reply.code(error.status).header('Content-Type', TEXT_TYPE).send(Buffer.from(error.message));
}

/** Writes a text/plain answer. */
export function sendText(reply: FastifyReply, status: number, text: string): void {
  reply.code(status).header('Content-Type', TEXT_TYPE).send(Buffer.from(text));
}
