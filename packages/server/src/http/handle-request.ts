/**
 * One request through the Consul router, whoever received it (Fastify, or the lean path for the
 * requests answered before it, lean-path.ts): decode the target, count the client, route, check
 * the method and the ACL, run the handler, write the answer; a handler's ApiError is answered as
 * it is, anything else is left to the caller's failure answer ({@link answerFailure}).
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { type AclIdentity, OPEN_IDENTITY } from '../acl/acl.js';
import type { HttpContext } from './http-context.js';
import { ApiError, ServerErrorCode } from '../errors.js';
import { clientKey } from '../limits/client-key.js';
import { tokenOf } from './query.js';
import { addIndexHeaders, headPairs, type ReplyLike, send, sendError, sendText } from './reply.js';
import type { ApiReply, ApiRequest, DetachedReply, Route, Router } from './route.js';

/** What the pipeline reads of a request: Fastify's request, or the lean path's. */
export interface RequestLike {
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  readonly raw: IncomingMessage;
  /** The raw body (a Buffer) when one was read. */
  readonly body?: unknown;
  /** The route's name once routed (metrics, logs). */
  rosterRoute: string;
}

/** The 413 for a body over the limit (Fastify's refusal and the lean path's alike). */
export function bodyTooLarge(limit: number): ApiError {
  return new ApiError(ServerErrorCode.PayloadTooLarge, `Request body too large (limit ${limit} bytes)`);
}

/**
 * Answers what a request's handling threw besides its own ApiError answers: an ApiError as it
 * is, a body over the limit 413, another 4xx as 400 with its message, anything else a logged 500.
 */
export function answerFailure(
  ctx: HttpContext,
  log: Pick<Logger, 'error'>,
  error: Error & { statusCode?: number; code?: string },
  route: string,
  reply: ReplyLike,
): void {
  if (error instanceof ApiError) return sendError(reply, error);
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(reply, bodyTooLarge(ctx.options.bodyLimit));
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return sendError(reply, new ApiError(ServerErrorCode.BadRequest, error.message));
  log.error({ err: error, route }, 'request failed');
  return sendError(reply, new ApiError(ServerErrorCode.Internal, 'Internal server error'));
}

/** The path and query of a request, the path percent-decoded. */
interface Target {
  readonly path: string;
  readonly query: URLSearchParams;
}

/** One request: decode the target, route it, check the method, run the handler, send. */
export async function handleRequest(ctx: HttpContext, router: Router, request: RequestLike, reply: ReplyLike): Promise<void> {
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
function answerUnrouted(request: RequestLike, reply: ReplyLike, path: string): void {
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
function answerMethod(route: Route, request: RequestLike, reply: ReplyLike, legacyGet: boolean): boolean {
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

/**
 * What the handler sees of the request: one object per request, its methods on the prototype
 * (an object literal with a closure per method cost an allocation each on every request).
 */
class PipelineRequest implements ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly rest: string;
  readonly query: URLSearchParams;
  readonly body: Buffer | undefined;
  readonly headers: IncomingHttpHeaders;
  readonly token: string;
  readonly acl: AclIdentity;
  readonly client: string;
  /** Set by {@link aclFiltered}: the ACL removed something from the answer. */
  #filtered = false;
  #held = false;
  readonly #ctx: HttpContext;
  readonly #request: RequestLike;
  readonly #reply: ReplyLike;

  constructor(
    ctx: HttpContext,
    request: RequestLike,
    reply: ReplyLike,
    route: Route,
    target: Target,
    token: string,
    acl: AclIdentity,
    client: string,
  ) {
    this.#ctx = ctx;
    this.#request = request;
    this.#reply = reply;
    this.method = request.method;
    this.path = target.path;
    this.rest = restOf(route, target.path);
    this.query = target.query;
    this.body = Buffer.isBuffer(request.body) ? request.body : undefined;
    this.headers = request.headers;
    this.token = token;
    this.acl = acl;
    this.client = client;
  }

  /** True when the answer must say it was filtered (only to a request that gave a token, as Consul). */
  get saysFiltered(): boolean {
    return this.#filtered && this.acl.tokenGiven;
  }

  aclFiltered(): void {
    this.#filtered = true;
  }

  onAbort(callback: () => void): void {
    const res = this.#reply.raw;
    // `on`, not `once`: a response closes once, and a once-wrapper costs a listener removal
    // per answer (thousands at once when a change wakes held queries).
    res.on('close', () => {
      if (!res.writableFinished) callback();
    });
  }

  holdSlot(): void {
    if (this.#held) return;
    const holds = this.#ctx.holds;
    const release = holds.acquire(this.client);
    if (release === undefined) {
      throw new ApiError(
        ServerErrorCode.ClientHeldQueries,
        `Too many blocking queries and event streams held by this client (limit ${holds.max}); retry later`,
        { 'Retry-After': '1' },
      );
    }
    this.#held = true;
    this.#reply.raw.on('close', release);
  }

  detach(): DetachedReply {
    const reply = this.#reply;
    // The same headers the reply would have carried (runRoute sets the filtered flag after
    // the handler returns; a held read is detached before that).
    if (this.saysFiltered) reply.header('X-Consul-Results-Filtered-By-ACLs', 'true');
    reply.hijack();
    // Consume the (empty) request body now: Node would otherwise dump it when the answer
    // finishes, per connection, in the loop that answers a whole wake.
    this.#request.raw.resume();
    return { res: reply.raw, head: headPairs(reply) };
  }
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
  request: RequestLike,
  reply: ReplyLike,
  target: Target,
  token: string,
  client: string,
): Promise<ApiReply> {
  const acl = route.access.kind === 'public' ? OPEN_IDENTITY : ctx.acl.identify(token);
  if (route.access.kind === 'require') {
    const { resource, level, name } = route.access;
    acl.require(resource, name === 'node' ? ctx.catalog.node.name : name === 'rest' ? restOf(route, target.path) : '', level);
  }
  const apiRequest = new PipelineRequest(ctx, request, reply, route, target, token, acl, client);
  const result = await route.handle(apiRequest);
  // Reads the token may not wholly see are filtered, not refused (Consul); said only to a token.
  if (apiRequest.saysFiltered) reply.header('X-Consul-Results-Filtered-By-ACLs', 'true');
  return result;
}

function allowedMethods(route: Route, legacyGet: boolean): readonly string[] {
  return route.legacyGet && legacyGet ? [...route.methods, 'GET'] : route.methods;
}

function isIndexedRoute(route: Route): boolean {
  return route.path.startsWith('/v1/catalog/') || route.path.startsWith('/v1/health/');
}
