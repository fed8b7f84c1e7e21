/**
 * Reads of the catalog and health endpoints: consistency and datacenter checks, the blocking
 * query (spec §5.1), and the JSON answer with the index headers.
 */
import type { IndexKey } from '../catalog/indexes.js';
import { parseBlockingParams } from '../blocking/blocking-params.js';
import type { HttpContext } from './http-context.js';
import { ApiError, badRequest, ServerErrorCode } from '../errors.js';
import { FilterError } from '../filter/filter-error.js';
import { compileFilter, type FilterPredicate } from '../filter/compile-filter.js';
import { acceptsGzip } from './accept-encoding.js';
import { type EncodedBody, encodedLength, encodeJson } from './encode-json.js';
import { parseConsistency } from './query.js';
import { GZIP_HEADERS, GZIP_MIN_BYTES, VARY_HEADERS } from './reply.js';
import { HeldRead } from './held-read.js';
import { cacheQueryKey } from './response-cache.js';
import type { ApiReply, ApiRequest } from './route.js';

/** What a blocking read needs: the index keys it depends on, its index, and how to render. */
export interface ReadSpec {
  readonly keys: readonly IndexKey[];
  /** The resource's current index (≥ 1). */
  readonly index: () => number;
  /** The answer body, computed after any wait. */
  readonly render: () => unknown;
  /**
   * Optional: the same body already encoded as compact JSON (the bytes of
   * `JSON.stringify(render())`), when the route can build it faster (from per-entry fragments);
   * undefined to use `render`. Used only for cached answers without `?pretty`.
   */
  readonly encode?: () => EncodedBody | undefined;
  /**
   * Cache the encoded answer under `key` (route and path) plus the query, valid while the
   * content version of `contentKey` is unchanged.
   */
  readonly cache?: { readonly key: string; readonly contentKey: IndexKey };
}

/** `?dc=` other than ours → 500 `No path to datacenter` (as Consul). */
export function checkDatacenter(ctx: HttpContext, req: ApiRequest): void {
  const dc = req.query.get('dc');
  if (dc !== null && dc !== '' && dc !== ctx.options.datacenter) {
    throw new ApiError(ServerErrorCode.NoPathToDatacenter, 'No path to datacenter');
  }
}

/**
 * Refuses to hold one more blocking query when the server holds its maximum
 * (`maxHeldQueries`: 503) or, given the request, when its client holds its own maximum
 * (`maxHeldQueriesPerClient`: 429); both with `Retry-After`, answered at once. With `req`, the
 * request counts as held by its client until its answer ends.
 * @throws ApiError 503 `Too many blocking queries held ...`, 429 `Too many blocking queries and event streams held by this client ...`.
 */
export function checkHoldCapacity(ctx: HttpContext, req?: ApiRequest): void {
  const max = ctx.options.maxHeldQueries;
  if (ctx.waiters.size >= max) {
    throw new ApiError(ServerErrorCode.TooManyHeldQueries, `Too many blocking queries held (limit ${max}); retry later`, {
      'Retry-After': '1',
    });
  }
  req?.holdSlot();
}

/** The `?filter=` predicate. @throws ApiError 400 for an invalid expression. */
export function filterOf(req: ApiRequest): FilterPredicate | undefined {
  try {
    return compileFilter(req.query.get('filter'));
  } catch (error) {
    if (error instanceof FilterError) throw badRequest(`Failed to create boolean expression evaluator: ${error.message}`);
    throw error;
  }
}

/**
 * Answers a read, holding it first when `?index=N` asks to wait for a change past N. Held
 * queries wake only on a commit that touches one of `spec.keys` and moves the index past N; on
 * timeout, on shutdown, they answer with the current data and index. An `index` ahead of the
 * server's global index (it cannot come from this server: the index never goes backwards, even
 * across restarts) is answered at once, so a client that watched another server catches up.
 */
export async function blockingRead(ctx: HttpContext, req: ApiRequest, spec: ReadSpec): Promise<ApiReply> {
  checkDatacenter(ctx, req);
  parseConsistency(req.query);
  const params = parseBlockingParams(req.query, ctx.options.random);
  // Computed before any hold: a woken query only looks its answer up (one encoding per change,
  // shared by every query that wakes for it).
  const key = spec.cache ? `${spec.cache.key}\u0000${cacheQueryKey(req.query)}` : '';
  if (params.index > 0 && !ctx.closing() && params.index <= ctx.catalog.indexes.current && spec.index() <= params.index) {
    checkHoldCapacity(ctx, req);
    if (spec.cache && req.detach) {
      // Answered by the wake itself, in the loop that wakes it (D165).
      const pretty = req.query.has('pretty');
      const held = new HeldRead(
        ctx.heldAnswers,
        { index: spec.index, key, contentKey: spec.cache.contentKey, encode: () => encodeAnswer(spec, pretty) },
        req.detach(),
        parseConsistency(req.query),
        acceptsGzip(req.headers['accept-encoding']),
      );
      const waiter = ctx.waiters.holdFor(spec.keys, params.index, spec.index, params.waitMs, held);
      req.onAbort(() => waiter.cancel());
      return HELD;
    }
    const hold = ctx.waiters.hold(spec.keys, params.index, spec.index, params.waitMs);
    req.onAbort(() => hold.cancel());
    const reason = await hold.done;
    if (reason === 'cancelled') return { kind: 'none' };
  }
  const index = spec.index();
  if (!spec.cache) return { kind: 'json', body: spec.render(), index };
  const version = ctx.catalog.contentVersion(spec.cache.contentKey);
  const encoded = ctx.responses.getOrEncode(key, version, () => encodeAnswer(spec, req.query.has('pretty')));
  // gzip when asked (Go clients, Prometheus and the Consul CLI ask): compressed once per
  // version on the libuv pool, shared by every reader of that version (D82); once compressed,
  // served without waiting on a promise.
  if (encodedLength(encoded) >= GZIP_MIN_BYTES && acceptsGzip(req.headers['accept-encoding'])) {
    const compressed = ctx.responses.gzipReady(key, version, encoded) ?? (await ctx.responses.gzip(key, version, encoded));
    return { kind: 'json', body: undefined, encoded: compressed, index, headers: GZIP_HEADERS };
  }
  return { kind: 'json', body: undefined, encoded, index, headers: VARY_HEADERS };
}

const HELD: ApiReply = { kind: 'held' };

/** A read's answer as JSON bytes: from the route's per-entry pieces when it has them (not with `?pretty`). */
function encodeAnswer(spec: ReadSpec, pretty: boolean): EncodedBody {
  return (pretty ? undefined : spec.encode?.()) ?? encodeJson(spec.render(), pretty);
}
