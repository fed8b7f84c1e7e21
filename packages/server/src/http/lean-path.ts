/**
 * The lean path: GET, PUT and DELETE requests — reads, registrations, TTL renewals,
 * deregistrations, what a fleet sends — go straight from Node's `request` event to the Consul
 * router (handle-request.ts), skipping Fastify's per-request lifecycle (its request and reply
 * objects, hook runners, routing of the catch-all, content-type parser), a third of the server
 * time of a small cached read (D185). A PUT's or DELETE's body is read whole, as Fastify reads it
 * for the app (any Content-Type; over the body limit 413 with `Connection: close`, at once when
 * Content-Length says so; a length that does not match 400); a GET's is never read, as in
 * Fastify. Everything else is handed to Fastify unchanged: other methods (OPTIONS, HEAD, POST,
 * PATCH), paths with a percent escape or not starting with `/` (Fastify's router answers those),
 * URLs over {@link LEAN_MAX_URL} characters, a connection opened over the limit (answered 503 by
 * the app's onRequest hook) and every request once Fastify is closing (its 503). Both paths run
 * the same pipeline and answer alike; the lean one counts its answers in the same request metrics.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { ConnectionLimit } from './connection-limit.js';
import { ApiError, ServerErrorCode } from '../errors.js';
import { answerFailure, bodyTooLarge, handleRequest, type RequestLike } from './handle-request.js';
import type { HttpContext } from './http-context.js';
import { LeanReply } from './lean-reply.js';
import { sendError } from './reply.js';
import type { Router } from './route.js';

/** URLs longer than this go to Fastify (its router bounds a path parameter at 8,192 characters). */
export const LEAN_MAX_URL = 8000;

/** What the lean path needs besides the request. */
export interface LeanPathDeps {
  readonly ctx: HttpContext;
  readonly router: Router;
  readonly logger: Logger;
  /** The app's connection limit (a connection over it goes to Fastify, which answers 503). */
  readonly connections: () => ConnectionLimit;
  /** True once Fastify began closing (it then answers every request 503 itself). */
  readonly closing: () => boolean;
}

/** The request of a lean answer (its body set once read). */
class LeanRequest implements RequestLike {
  readonly raw: IncomingMessage;
  readonly method: string;
  readonly headers: IncomingMessage['headers'];
  body: Buffer | undefined;
  rosterRoute = '';

  constructor(raw: IncomingMessage) {
    this.raw = raw;
    this.method = raw.method!;
    this.headers = raw.headers;
  }
}

/**
 * Returns the `request` listener's first step: answers the request and returns true, or returns
 * false (nothing written, nothing read) for Fastify to take it.
 */
export function leanPath(deps: LeanPathDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { ctx, router, logger } = deps;
  const limit = ctx.options.bodyLimit;
  const run = (request: LeanRequest, reply: LeanReply): void => {
    handleRequest(ctx, router, request, reply).catch((error: unknown) => {
      if (reply.raw.headersSent) {
        logger.error({ err: error, route: request.rosterRoute }, 'request failed after its answer began');
        reply.raw.destroy();
        return;
      }
      answerFailure(ctx, logger, error as Error, request.rosterRoute, reply);
    });
  };
  return (req, res) => {
    if (!takes(req, deps)) return false;
    const started = performance.now();
    const request = new LeanRequest(req);
    const reply = new LeanReply(res);
    // A body refused before routing is counted as Fastify counts it: route `unknown`.
    res.on('finish', () => {
      ctx.metrics.request(request.rosterRoute || 'unknown', request.method, res.statusCode, (performance.now() - started) / 1000);
    });
    const length = req.headers['content-length'];
    // Fastify never reads a GET's body (Node discards it after the answer): neither does this.
    if (req.method === 'GET' || (req.headers['transfer-encoding'] === undefined && (length === undefined || length === '0'))) {
      run(request, reply);
      return true;
    }
    readBody(req, limit, (error, body) => {
      if (error !== undefined) {
        // The client may still be sending: the connection is not reused.
        sendError(reply.header('Connection', 'close'), error);
        return;
      }
      request.body = body;
      run(request, reply);
    });
    return true;
  };
}

/**
 * Reads a request's whole body (at most `limit` bytes) into one Buffer; calls back once, with an
 * ApiError (413 over the limit, 400 for a length that does not match Content-Length or a stream
 * that failed) or the body.
 */
function readBody(req: IncomingMessage, limit: number, done: (error: ApiError | undefined, body?: Buffer) => void): void {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) {
    done(bodyTooLarge(limit));
    return;
  }
  const chunks: Buffer[] = [];
  let received = 0;
  const stop = () => {
    req.removeListener('data', onData);
    req.removeListener('end', onEnd);
    req.removeListener('error', onError);
  };
  const onData = (chunk: Buffer) => {
    received += chunk.length;
    if (received > limit) {
      stop();
      done(bodyTooLarge(limit));
      return;
    }
    chunks.push(chunk);
  };
  const onEnd = () => {
    stop();
    if (!Number.isNaN(declared) && received !== declared) {
      done(new ApiError(ServerErrorCode.BadRequest, 'Request body size did not match Content-Length'));
      return;
    }
    // A copy, never a view of a buffer the socket may reuse.
    done(undefined, Buffer.concat(chunks, received));
  };
  const onError = (error: Error) => {
    stop();
    done(new ApiError(ServerErrorCode.BadRequest, error.message));
  };
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('error', onError);
}

/** True when the request is one the lean path answers (see the module comment). */
function takes(req: IncomingMessage, deps: LeanPathDeps): boolean {
  const method = req.method;
  if (method !== 'GET' && method !== 'PUT' && method !== 'DELETE') return false;
  const url = req.url;
  if (url === undefined || url.length > LEAN_MAX_URL || url.charCodeAt(0) !== 0x2f) return false;
  const q = url.indexOf('?');
  if ((q < 0 ? url : url.slice(0, q)).includes('%')) return false;
  if (deps.closing()) return false;
  return !deps.connections().isOver(req.socket);
}
