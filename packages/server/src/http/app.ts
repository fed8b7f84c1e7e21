/**
 * The Fastify application: one catch-all route that hands every request to the Consul router
 * (prefix routing with percent-decoded rest-of-path IDs, exact method lists with 405 + Allow,
 * OPTIONS), bodies read raw whatever their Content-Type, and answers written with Consul's
 * headers and content types.
 */
import type { ServerResponse } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import type { Logger } from 'pino';
import { OPEN_IDENTITY } from '../acl/acl.js';
import type { ServerContext } from '../context.js';
import { ApiError, ServerErrorCode } from '../errors.js';
import { clientErrorHandler } from './client-errors.js';
import { ConnectionLimit } from './connection-limit.js';
import { encodeJson } from './encode-json.js';
import { parseConsistency, tokenOf } from './query.js';
import type { ApiReply, ApiRequest, Route, Router } from './route.js';

/** Time a client has to send the request head (at most the request timeout). */
export const HEADERS_TIMEOUT_MS = 60_000;
/** How often Node checks the head and request timeouts of open connections. */
const TIMEOUT_CHECK_MS = 1000;
/** An idle keep-alive connection is closed after this (longer than common client pools' 60 s). */
export const KEEP_ALIVE_TIMEOUT_MS = 75_000;

const METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'PATCH'];
const JSON_TYPE = 'application/json';
const TEXT_TYPE = 'text/plain; charset=utf-8';

declare module 'fastify' {
  interface FastifyRequest {
    rosterRoute: string;
  }
}

/** Builds the Fastify instance (not listening yet). */
export function buildApp(ctx: ServerContext, router: Router, logger: Logger): FastifyInstance {
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Per-request log lines cost more than a small read itself; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: ctx.options.bodyLimit,
    // Node's requestTimeout bounds *receiving* a request (head and body: a slowly trickled body
    // gets 408), never the answer: a held blocking query (up to 10 min + jitter) is a GET that
    // was received in full before it is held. Socket inactivity timeouts stay off.
    requestTimeout: ctx.options.requestTimeoutMs,
    http: { connectionsCheckingInterval: TIMEOUT_CHECK_MS },
    clientErrorHandler: clientErrorHandler(ctx.options.requestTimeoutMs),
    // Fastify's router refuses a path it cannot percent-decode before any route runs (only the
    // socket path; inject() decodes differently): answered like the same error in handle().
    frameworkErrors: (_error, request, reply) => {
      reply.header('X-Consul-Default-ACL-Policy', ctx.acl.defaultPolicy);
      const path = (request.raw.url ?? '').split('?')[0]!;
      const shown = JSON.stringify(path.length > 100 ? `${path.slice(0, 100)}…` : path);
      return sendError(reply, new ApiError(400, ServerErrorCode.BadRequest, `Invalid URL path: bad percent-encoding in ${shown}`));
    },
    connectionTimeout: 0,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    exposeHeadRoutes: false,
    routerOptions: { ignoreTrailingSlash: false, ignoreDuplicateSlashes: false, maxParamLength: 8192 },
  });
  // Spelled out, not left to defaults: timeout 0 never cuts a held response; requestTimeout and
  // headersTimeout only bound receiving the request; keepAliveTimeout only idle sockets.
  app.server.requestTimeout = ctx.options.requestTimeoutMs;
  app.server.timeout = 0;
  app.server.headersTimeout = Math.min(HEADERS_TIMEOUT_MS, ctx.options.requestTimeoutMs);
  app.server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  const connections = new ConnectionLimit(app.server, ctx.options.maxConnections);
  app.decorateRequest('rosterRoute', '');
  app.removeAllContentTypeParsers();
  // Consul parses bodies as JSON whatever the Content-Type (python-consul sends none).
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  // A missing, empty or malformed Content-Type must not stop the body from being read (Fastify
  // would answer 415): drop the header, so every body goes to the catch-all parser above.
  app.addHook('onRequest', (request, _reply, done) => {
    delete request.raw.headers['content-type'];
    done();
  });
  // A connection opened over the limit gets one answer saying so, then it is closed.
  app.addHook('onRequest', async (request, reply) => {
    if (!connections.isOver(request.raw.socket)) return;
    reply.header('X-Consul-Default-ACL-Policy', ctx.acl.defaultPolicy).header('Connection', 'close');
    sendError(
      reply,
      new ApiError(503, ServerErrorCode.TooManyConnections, `Too many connections (limit ${connections.max}); retry later`, {
        'Retry-After': '1',
      }),
    );
    return reply;
  });

  const handler = (request: FastifyRequest, reply: FastifyReply) => handle(ctx, router, request, reply);
  app.route({ method: METHODS, url: '/', handler });
  app.route({ method: METHODS, url: '/*', handler });

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    if (error instanceof ApiError) return sendError(reply, error);
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return sendError(
        reply,
        new ApiError(413, ServerErrorCode.PayloadTooLarge, `Request body too large (limit ${ctx.options.bodyLimit} bytes)`),
      );
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return sendError(reply, new ApiError(status, ServerErrorCode.BadRequest, error.message));
    request.log.error({ err: error, route: request.rosterRoute }, 'request failed');
    return sendError(reply, new ApiError(500, ServerErrorCode.Internal, 'Internal server error'));
  });

  app.addHook('onResponse', (request, reply, done) => {
    ctx.metrics.request(request.rosterRoute || 'unknown', request.method, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  return app;
}

async function handle(ctx: ServerContext, router: Router, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  reply.header('X-Consul-Default-ACL-Policy', ctx.acl.defaultPolicy);
  const url = request.raw.url ?? '/';
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return sendError(
      reply,
      new ApiError(400, ServerErrorCode.BadRequest, `Invalid URL path: bad percent-encoding in ${JSON.stringify(rawPath)}`),
    );
  }
  const route = router.match(path);
  if (!route) {
    request.rosterRoute = 'not-found';
    if (path === '/') return sendText(reply, 200, 'roster serve: a Consul-compatible service registry. The API is under /v1/.\n');
    if (path.startsWith('/v1/'))
      return sendError(reply, new ApiError(404, ServerErrorCode.NotFound, 'Invalid URL path: not a recognized HTTP API endpoint\n'));
    return sendError(reply, new ApiError(404, ServerErrorCode.NotFound, '404 page not found\n'));
  }
  request.rosterRoute = route.name;
  const allowed = allowedMethods(route, ctx.options.legacyGet);
  const allow = ['OPTIONS', ...route.methods].join(',');
  if (request.method === 'OPTIONS') {
    reply.header('Allow', allow);
    return void reply.code(200).send();
  }
  if (!allowed.includes(request.method)) {
    return sendError(reply, new ApiError(405, ServerErrorCode.MethodNotAllowed, `method ${request.method} not allowed`, { Allow: allow }));
  }
  const rest = route.path.endsWith('/') ? path.slice(route.path.length) : '';
  const res = reply.raw;
  const token = tokenOf(query, request.headers);
  let filtered = false;
  let api: ApiRequest;
  let result: ApiReply;
  try {
    // The token is resolved before anything else (an unknown one is refused even on list reads).
    const acl = route.access.kind === 'public' ? OPEN_IDENTITY : ctx.acl.identify(token);
    if (route.access.kind === 'require') {
      const { resource, level, name } = route.access;
      acl.require(resource, name === 'node' ? ctx.catalog.node.name : name === 'rest' ? rest : '', level);
    }
    api = {
      method: request.method,
      path,
      rest,
      query,
      body: Buffer.isBuffer(request.body) ? request.body : undefined,
      headers: request.headers,
      token,
      acl,
      aclFiltered() {
        filtered = true;
      },
      onAbort(callback) {
        res.once('close', () => {
          if (!res.writableFinished) callback();
        });
      },
    };
    result = await route.handle(api);
    // Reads the token may not wholly see are filtered, not refused (Consul); said only to a token.
    if (filtered && acl.tokenGiven) reply.header('X-Consul-Results-Filtered-By-ACLs', 'true');
  } catch (error) {
    if (error instanceof ApiError) {
      // Reads carry the index headers on their error answers too (python-consul reads them on 404).
      if (isIndexedRoute(route)) addIndexHeaders(reply, ctx.catalog.indexes.current, query);
      return sendError(reply, error);
    }
    throw error;
  }
  send(reply, result, query);
}

function allowedMethods(route: Route, legacyGet: boolean): readonly string[] {
  return route.legacyGet && legacyGet ? [...route.methods, 'GET'] : route.methods;
}

function isIndexedRoute(route: Route): boolean {
  return route.path.startsWith('/v1/catalog/') || route.path.startsWith('/v1/health/');
}

function addIndexHeaders(reply: FastifyReply, index: number, query: URLSearchParams): void {
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

function send(reply: FastifyReply, result: ApiReply, query: URLSearchParams): void {
  switch (result.kind) {
    case 'none':
      if (!reply.raw.destroyed) reply.raw.destroy();
      return;
    case 'empty':
      reply.code(200).send();
      return;
    case 'text':
      reply
        .code(result.status ?? 200)
        .header('Content-Type', result.contentType)
        .send(Buffer.from(result.body));
      return;
    case 'stream':
      reply.hijack();
      startStream(reply, result.start);
      return;
    case 'json': {
      if (result.index !== undefined) addIndexHeaders(reply, result.index, query);
      for (const [k, v] of Object.entries(result.headers ?? {})) reply.header(k, v);
      reply
        .code(result.status ?? 200)
        .header('Content-Type', JSON_TYPE)
        .send(result.encoded ?? encodeJson(result.body, query.has('pretty')));
      return;
    }
  }
}

function startStream(reply: FastifyReply, start: (res: ServerResponse) => void): void {
  const policy = reply.getHeader('X-Consul-Default-ACL-Policy');
  if (typeof policy === 'string') reply.raw.setHeader('X-Consul-Default-ACL-Policy', policy);
  start(reply.raw);
}

function sendError(reply: FastifyReply, error: ApiError): void {
  for (const [k, v] of Object.entries(error.headers)) reply.header(k, v);
  reply.code(error.status).header('Content-Type', TEXT_TYPE).send(Buffer.from(error.message));
}

function sendText(reply: FastifyReply, status: number, text: string): void {
  reply.code(status).header('Content-Type', TEXT_TYPE).send(Buffer.from(text));
}
