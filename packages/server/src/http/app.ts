/**
 * The Fastify application: its own HTTP(S) server, whose requests go to the lean path first
 * (GET, PUT, DELETE: lean-path.ts) and otherwise to one catch-all route; both hand every request
 * to the Consul router (handle-request.ts: prefix routing with percent-decoded rest-of-path IDs,
 * exact method lists with 405 + Allow, OPTIONS), bodies read raw whatever their Content-Type,
 * and answers written with Consul's headers and content types.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Logger } from 'pino';
import type { HttpContext } from './http-context.js';
import { ApiError, ServerError, ServerErrorCode } from '../errors.js';
import { readTls } from '../tls/tls-files.js';
import { clientErrorHandler } from './client-errors.js';
import { ConnectionLimit } from './connection-limit.js';
import { answerFailure, handleRequest } from './handle-request.js';
import { leanPath } from './lean-path.js';
import { sendError } from './reply.js';
import type { Router } from './route.js';

/** Time a client has to send the request head (at most the request timeout). */
export const HEADERS_TIMEOUT_MS = 60_000;
/** How often Node checks the head and request timeouts of open connections. */
const TIMEOUT_CHECK_MS = 1000;
/** An idle keep-alive connection is closed after this (longer than common client pools' 60 s). */
export const KEEP_ALIVE_TIMEOUT_MS = 75_000;

const METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'PATCH'];

declare module 'fastify' {
  interface FastifyRequest {
    rosterRoute: string;
  }
}

/**
 * Builds the Fastify instance (not listening yet). Its HTTP(S) server hands each request to the
 * lean path first (lean-path.ts: GET, PUT and DELETE), and what that does not take to Fastify.
 */
export function buildApp(ctx: HttpContext, router: Router, logger: Logger): FastifyInstance {
  let connections: ConnectionLimit | undefined;
  let closing = false;
  const lean = leanPath({ ctx, router, logger, connections: () => connections!, closing: () => closing });
  const app = Fastify({
    ...fastifyOptions(ctx, logger),
    serverFactory: (fastifyHandler: (req: IncomingMessage, res: ServerResponse) => void) => {
      const server = createServer(ctx, (req, res) => {
        if (!lean(req, res)) fastifyHandler(req, res);
      });
      connections = new ConnectionLimit(server, ctx.options.maxConnections);
      return server;
    },
  });
  setServerTimeouts(app, ctx);
  app.decorateRequest('rosterRoute', '');
  // Request logging is off: a pino child per request (Fastify makes one whenever it has a
  // logger) would only carry a request ID no line uses. Errors are logged with the route.
  app.setChildLoggerFactory((parent) => parent);
  readEveryBody(app);
  beforeEveryRequest(app, ctx, connections!);
  const handler = (request: FastifyRequest, reply: FastifyReply) => handleRequest(ctx, router, request, reply);
  app.route({ method: METHODS, url: '/', handler });
  app.route({ method: METHODS, url: '/*', handler });
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) =>
    answerFailure(ctx, request.log, error, request.rosterRoute, reply),
  );
  app.addHook('onResponse', function countAnswer(request, reply, done) {
    ctx.metrics.request(request.rosterRoute || 'unknown', request.method, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  // Fastify answers 503 once it is closing (return503OnClosing): from then on every request goes to it.
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onReady', (done) => done(bypassedHooksError(app) ?? undefined));
  return app;
}

/** The HTTP or HTTPS server (TLS files read once here; reload swaps the secure context, server.ts). */
function createServer(ctx: HttpContext, listener: (req: IncomingMessage, res: ServerResponse) => void): Server {
  const tls = ctx.options.tls;
  const common = { connectionsCheckingInterval: TIMEOUT_CHECK_MS, requestTimeout: ctx.options.requestTimeoutMs };
  return tls === undefined ? createHttpServer(common, listener) : createHttpsServer({ ...readTls(tls), ...common }, listener);
}

/** The app's own route hooks, by hook (named so that they can be told apart from others). */
const OWN_HOOKS: Readonly<Record<string, readonly string[]>> = {
  onRequest: ['acceptRequest()'],
  onResponse: ['countAnswer()'],
};

/**
 * GET, PUT and DELETE requests are answered before Fastify's lifecycle (lean-path.ts), and cached
 * and woken held reads are written straight to the connection (reply.ts, held-read.ts), so a
 * route hook of Fastify's (onRequest, preHandler, onSend, onResponse, …) other than the app's own
 * two would be skipped for most requests: an app that has one is refused when it starts (an
 * Error naming the hook), rather than silently skipping it. Returns null when there is none.
 */
export function bypassedHooksError(app: FastifyInstance): ServerError | null {
  for (const [, hook, list] of app.printRoutes({ includeHooks: true }).matchAll(/\((\w+)\) \[([^\]]*)\]/g)) {
    const names = list!.split(',').map((n) => n.trim().replace(/^"|"$/g, ''));
    const foreign = names.filter((n) => !(OWN_HOOKS[hook!] ?? []).includes(n));
    if (foreign.length === 0) continue;
    return new ServerError(
      ServerErrorCode.Internal,
      `a Fastify ${hook} hook (${foreign.join(', ')}) is registered, but roster serve answers GET, PUT and DELETE requests before Fastify's hooks run and writes cached and woken blocking reads directly, so it would be bypassed (http/lean-path.ts, http/reply.ts, http/held-read.ts)`,
    );
  }
  return null;
}

/** Fastify's options: limits, timeouts, and answers to what Fastify refuses itself. */
function fastifyOptions(ctx: HttpContext, logger: Logger) {
  return {
    loggerInstance: logger as FastifyBaseLogger,
    // Per-request log lines cost more than a small read itself; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: ctx.options.bodyLimit,
    // Node's requestTimeout bounds *receiving* a request (head and body: a slowly trickled body
    // gets 408), never the answer: a held blocking query (up to 10 min + jitter) is a GET that
    // was received in full before it is held. Socket inactivity timeouts stay off.
    requestTimeout: ctx.options.requestTimeoutMs,
    clientErrorHandler: clientErrorHandler(ctx.options.requestTimeoutMs),
    // Fastify's router refuses a path it cannot percent-decode before any route runs (only the
    // socket path; inject() decodes differently): answered like the same error in handleRequest().
    frameworkErrors: (_error: Error, request: FastifyRequest, reply: FastifyReply) => {
      reply.header('X-Consul-Default-ACL-Policy', ctx.acl.defaultPolicy);
      const path = (request.raw.url ?? '').split('?')[0]!;
      const shown = JSON.stringify(path.length > 100 ? `${path.slice(0, 100)}…` : path);
      return sendError(reply, new ApiError(ServerErrorCode.BadRequest, `Invalid URL path: bad percent-encoding in ${shown}`));
    },
    connectionTimeout: 0,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    return503OnClosing: true,
    forceCloseConnections: 'idle' as const,
    exposeHeadRoutes: false,
    routerOptions: { ignoreTrailingSlash: false, ignoreDuplicateSlashes: false, maxParamLength: 8192 },
  };
}

/**
 * Spelled out, not left to defaults: timeout 0 never cuts a held response; requestTimeout and
 * headersTimeout only bound receiving the request; keepAliveTimeout only idle sockets.
 */
function setServerTimeouts(app: FastifyInstance, ctx: HttpContext): void {
  app.server.requestTimeout = ctx.options.requestTimeoutMs;
  app.server.timeout = 0;
  app.server.headersTimeout = Math.min(HEADERS_TIMEOUT_MS, ctx.options.requestTimeoutMs);
  app.server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
}

/** Consul parses bodies as JSON whatever the Content-Type (python-consul sends none). */
function readEveryBody(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
}

/**
 * One synchronous onRequest hook (a hook per concern, or an async one, costs a call chain or a
 * promise per request on every route, D161):
 * - a missing, empty or malformed Content-Type must not stop the body from being read (Fastify
 *   would answer 415): the header is dropped, so every body goes to the catch-all parser;
 * - a connection opened over the limit gets one answer saying so, then it is closed.
 */
function beforeEveryRequest(app: FastifyInstance, ctx: HttpContext, connections: ConnectionLimit): void {
  app.addHook('onRequest', function acceptRequest(request, reply, done) {
    delete request.raw.headers['content-type'];
    if (!connections.isOver(request.raw.socket)) {
      done();
      return;
    }
    // Answered here: `done` is not called, so no later hook and no handler runs.
    reply.header('X-Consul-Default-ACL-Policy', ctx.acl.defaultPolicy).header('Connection', 'close');
    sendError(
      reply,
      new ApiError(ServerErrorCode.TooManyConnections, `Too many connections (limit ${connections.max}); retry later`, {
        'Retry-After': '1',
      }),
    );
  });
}
