/**
 * The Fastify application: one catch-all route that hands every request to the Consul router
 * (prefix routing with percent-decoded rest-of-path IDs, exact method lists with 405 + Allow,
 * OPTIONS), bodies read raw whatever their Content-Type, and answers written with Consul's
 * headers and content types.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { type AclIdentity, OPEN_IDENTITY } from '../acl/acl.js';
import type { HttpContext } from './http-context.js';
import { ApiError, ServerError, ServerErrorCode } from '../errors.js';
import { readTls } from '../tls/tls-files.js';
import { clientErrorHandler } from './client-errors.js';
import { ConnectionLimit } from './connection-limit.js';
import { clientKey } from '../limits/client-key.js';
import { tokenOf } from './query.js';
import { addIndexHeaders, headPairs, send, sendError, sendText } from './reply.js';
import type { ApiReply, ApiRequest, Route, Router } from './route.js';

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

/** Builds the Fastify instance (not listening yet). */
export function buildApp(ctx: HttpContext, router: Router, logger: Logger): FastifyInstance {
  const app = Fastify(fastifyOptions(ctx, logger));
  setServerTimeouts(app, ctx);
  app.decorateRequest('rosterRoute', '');
  // Request logging is off: a pino child per request (Fastify makes one whenever it has a
  // logger) would only carry a request ID no line uses. Errors are logged with the route.
  app.setChildLoggerFactory((parent) => parent);
  readEveryBody(app);
  beforeEveryRequest(app, ctx);
  const handler = (request: FastifyRequest, reply: FastifyReply) => handle(ctx, router, request, reply);
  app.route({ method: METHODS, url: '/', handler });
  app.route({ method: METHODS, url: '/*', handler });
  app.setErrorHandler(errorHandler(ctx));
  app.addHook('onResponse', (request, reply, done) => {
    ctx.metrics.request(request.rosterRoute || 'unknown', request.method, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  app.addHook('onReady', (done) => done(payloadHooksError(app) ?? undefined));
  return app;
}

/**
 * Cached reads and woken held reads are written straight to the connection (reply.ts,
 * held-read.ts), so Fastify's payload hooks (onSend, preSerialization) would never see them: an
 * app that has one is refused when it starts (an Error naming the hook), rather than silently
 * skipping it on the hottest answers. Returns null when there is none.
 */
export function payloadHooksError(app: FastifyInstance): ServerError | null {
  const hooks = app.printRoutes({ includeHooks: true });
  const found = /\((onSend|preSerialization)\) \[([^\]]*)\]/.exec(hooks);
  if (!found) return null;
  return new ServerError(
    ServerErrorCode.Internal,
    `a Fastify ${found[1]} hook (${found[2]}) is registered, but cached and woken blocking reads are written directly and bypass it (http/reply.ts, http/held-read.ts)`,
  );
}

/** Fastify's options: limits, timeouts, and answers to what Fastify refuses itself. */
function fastifyOptions(ctx: HttpContext, logger: Logger) {
  const tls = ctx.options.tls;
  return {
    // TLS: read once here; reload swaps the secure context (server.ts).
    ...(tls === undefined ? {} : { https: { ...readTls(tls), connectionsCheckingInterval: TIMEOUT_CHECK_MS } }),
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
function beforeEveryRequest(app: FastifyInstance, ctx: HttpContext): void {
  const connections = new ConnectionLimit(app.server, ctx.options.maxConnections);
  app.addHook('onRequest', (request, reply, done) => {
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

/** Answers what a handler or Fastify threw: an ApiError as it is, anything else as 4xx/500. */
function errorHandler(ctx: HttpContext) {
  return (error: Error & { statusCode?: number; code?: string }, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof ApiError) return sendError(reply, error);
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return sendError(
        reply,
        new ApiError(ServerErrorCode.PayloadTooLarge, `Request body too large (limit ${ctx.options.bodyLimit} bytes)`),
      );
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return sendError(reply, new ApiError(ServerErrorCode.BadRequest, error.message));
    request.log.error({ err: error, route: request.rosterRoute }, 'request failed');
    return sendError(reply, new ApiError(ServerErrorCode.Internal, 'Internal server error'));
  };
}

/** The path and query of a request, the path percent-decoded. */
interface Target {
  readonly path: string;
  readonly query: URLSearchParams;
}

/** One request: decode the target, route it, check the method, run the handler, send. */
async function handle(ctx: HttpContext, router: Router, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  reply.header('X-Consul-Default-ACL-Policy', ctx.acl.defaultPolicy);
  const target = parseTarget(request.raw.url ?? '/');
  if (target instanceof ApiError) return sendError(reply, target);
  const token = tokenOf(target.query, request.headers);
  const client = clientOf(ctx, token, request.raw.socket);
  const overLimit = rateLimited(ctx, client);
  if (overLimit !== undefined) return sendError(reply, overLimit);
  const route = router.match(target.path);
  if (!route) return answerUnrouted(request, reply, target.path);
  request.rosterRoute = route.name;
  if (answerMethod(route, request, reply, ctx.options.legacyGet)) return;
  let result: ApiReply;
  try {
    result = await runRoute(ctx, route, request, reply, target, token, client);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    // Reads carry the index headers on their error answers too (python-consul reads them on 404).
    if (isIndexedRoute(route)) addIndexHeaders(reply, ctx.catalog.indexes.current, target.query);
    return sendError(reply, error);
  }
  send(reply, result, target.query);
}

/** A connection's client key when its requests carry no valid token (its address never changes). */
const addressKeys = new WeakMap<Socket, string>();

/** The key the request's client is counted under (see clientKey); per connection when by address. */
function clientOf(ctx: HttpContext, token: string, socket: Socket): string {
  const accessor = ctx.acl.accessorOf(token);
  if (accessor !== undefined) return clientKey(accessor, socket.remoteAddress);
  let key = addressKeys.get(socket);
  if (key === undefined) {
    key = clientKey(undefined, socket.remoteAddress);
    // A closed socket has no address: not cached, so that nothing keeps an empty key.
    if (socket.remoteAddress !== undefined) addressKeys.set(socket, key);
  }
  return key;
}

/**
 * The 429 for a client over its request rate (`Retry-After` in whole seconds, at least 1), or
 * undefined when the request may run. Every request counts, whatever it asks.
 */
function rateLimited(ctx: HttpContext, client: string): ApiError | undefined {
  if (ctx.rate === undefined) return undefined;
  const waitMs = ctx.rate.take(client);
  if (waitMs === 0) return undefined;
  const { perSecond, burst } = ctx.rate.limit;
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return new ApiError(
    ServerErrorCode.RateLimited,
    `Too many requests from this client (limit ${perSecond}/s, bursts of ${burst}); retry after ${seconds} s`,
    { 'Retry-After': String(seconds) },
  );
}

/** The query of a request without one (never changed: handlers only read queries). */
const NO_QUERY = new URLSearchParams();

/** Splits the URL; an ApiError (400) when the path is not valid percent-encoding. */
function parseTarget(url: string): Target | ApiError {
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  const query = q < 0 ? NO_QUERY : new URLSearchParams(url.slice(q + 1));
  // Most paths have no escape: decoding them would give the same string.
  if (!rawPath.includes('%')) return { path: rawPath, query };
  try {
    return { path: decodeURIComponent(rawPath), query };
  } catch {
    return new ApiError(ServerErrorCode.BadRequest, `Invalid URL path: bad percent-encoding in ${JSON.stringify(rawPath)}`);
  }
}

/**
 * A path no route owns: the root sends a browser (a GET accepting text/html) to the dashboard at
 * /ui/ and answers anything else with its greeting; other paths get Consul's two 404 texts.
 */
function answerUnrouted(request: FastifyRequest, reply: FastifyReply, path: string): void {
  request.rosterRoute = 'not-found';
  if (path === '/' && request.method === 'GET' && /\btext\/html\b/.test(request.headers.accept ?? '')) {
    reply.code(302).header('Location', '/ui/').send();
    return;
  }
  if (path === '/') return sendText(reply, 200, 'roster serve: a Consul-compatible service registry. The API is under /v1/.\n');
  if (path.startsWith('/v1/'))
    return sendError(reply, new ApiError(ServerErrorCode.NotFound, 'Invalid URL path: not a recognized HTTP API endpoint\n'));
  return sendError(reply, new ApiError(ServerErrorCode.NotFound, '404 page not found\n'));
}

/** Answers OPTIONS (200 with Allow) and a method the route does not take (405); true when answered. */
function answerMethod(route: Route, request: FastifyRequest, reply: FastifyReply, legacyGet: boolean): boolean {
  const method = request.method;
  if (method !== 'OPTIONS' && (route.methods as readonly string[]).includes(method)) return false;
  const allow = ['OPTIONS', ...route.methods].join(',');
  if (method === 'OPTIONS') {
    reply.header('Allow', allow);
    reply.code(200).send();
    return true;
  }
  if (!allowedMethods(route, legacyGet).includes(method)) {
    sendError(reply, new ApiError(ServerErrorCode.MethodNotAllowed, `method ${method} not allowed`, { Allow: allow }));
    return true;
  }
  return false;
}

/** What the handler sees of the request. */
function apiRequest(
  request: FastifyRequest,
  reply: FastifyReply,
  route: Route,
  target: Target,
  token: string,
  acl: AclIdentity,
  aclFiltered: () => void,
  filteredNow: () => boolean,
  ctx: HttpContext,
  client: string,
): ApiRequest {
  const { path, query } = target;
  const res = reply.raw;
  let held = false;
  return {
    method: request.method,
    path,
    rest: restOf(route, path),
    query,
    body: Buffer.isBuffer(request.body) ? request.body : undefined,
    headers: request.headers,
    token,
    acl,
    aclFiltered,
    onAbort(callback) {
      // `on`, not `once`: a response closes once, and a once-wrapper costs a listener removal
      // per answer (thousands at once when a change wakes held queries).
      res.on('close', () => {
        if (!res.writableFinished) callback();
      });
    },
    client,
    holdSlot() {
      if (held) return;
      const release = ctx.holds.acquire(client);
      if (release === undefined) {
        throw new ApiError(
          ServerErrorCode.ClientHeldQueries,
          `Too many blocking queries and event streams held by this client (limit ${ctx.holds.max}); retry later`,
          { 'Retry-After': '1' },
        );
      }
      held = true;
      res.on('close', release);
    },
    detach() {
      // The same headers the reply would have carried (runRoute sets the filtered flag after
      // the handler returns; a held read is detached before that).
      if (filteredNow()) reply.header('X-Consul-Results-Filtered-By-ACLs', 'true');
      reply.hijack();
      // Consume the (empty) request body now: Node would otherwise dump it when the answer
      // finishes, per connection, in the loop that answers a whole wake.
      request.raw.resume();
      return { res, head: headPairs(reply) };
    },
  };
}

function restOf(route: Route, path: string): string {
  return route.path.endsWith('/') ? path.slice(route.path.length) : '';
}

/**
 * Resolves the token (before anything else: an unknown one is refused even on list reads),
 * applies the route's declared requirement, and runs the handler, which checks per object and
 * filters lists. @throws ApiError 403 `ACL not found` / `Permission denied: …`.
 */
async function runRoute(
  ctx: HttpContext,
  route: Route,
  request: FastifyRequest,
  reply: FastifyReply,
  target: Target,
  token: string,
  client: string,
): Promise<ApiReply> {
  const acl = route.access.kind === 'public' ? OPEN_IDENTITY : ctx.acl.identify(token);
  if (route.access.kind === 'require') {
    const { resource, level, name } = route.access;
    acl.require(resource, name === 'node' ? ctx.catalog.node.name : name === 'rest' ? restOf(route, target.path) : '', level);
  }
  let filtered = false;
  const result = await route.handle(
    apiRequest(
      request,
      reply,
      route,
      target,
      token,
      acl,
      () => {
        filtered = true;
      },
      () => filtered && acl.tokenGiven,
      ctx,
      client,
    ),
  );
  // Reads the token may not wholly see are filtered, not refused (Consul); said only to a token.
  if (filtered && acl.tokenGiven) reply.header('X-Consul-Results-Filtered-By-ACLs', 'true');
  return result;
}

function allowedMethods(route: Route, legacyGet: boolean): readonly string[] {
  return route.legacyGet && legacyGet ? [...route.methods, 'GET'] : route.methods;
}

function isIndexedRoute(route: Route): boolean {
  return route.path.startsWith('/v1/catalog/') || route.path.startsWith('/v1/health/');
}
