/** What the HTTP routes reach: the server's parts plus what only the HTTP edge keeps. */
import type { ServerContext } from '../context.js';
import { ClientHolds } from '../limits/client-holds.js';
import { RateLimiter } from '../limits/rate-limiter.js';
import { ResponseCache } from './response-cache.js';
import { HeldAnswers } from './held-read.js';

/** The server's parts plus the HTTP edge's own state, shared by the routes. */
export interface HttpContext extends ServerContext {
  /** Encoded answers of the hot reads. */
  readonly responses: ResponseCache;
  /** Open streaming answers (event streams): the registry view's watchers. */
  readonly streams: { open: number };
  /** Requests per client; undefined when rate limiting is off. */
  readonly rate: RateLimiter | undefined;
  /** Held blocking queries and event streams per client. */
  readonly holds: ClientHolds;
  /** Writes the answers of woken held reads (held-read.ts). */
  readonly heldAnswers: HeldAnswers;
}

/** The HTTP edge's context over the server's parts (a fresh, empty response cache; fresh limits). */
export function httpContext(ctx: ServerContext): HttpContext {
  const { rateLimit, maxHeldQueriesPerClient, clock } = ctx.options;
  const responses = new ResponseCache();
  return {
    ...ctx,
    responses,
    rate: rateLimit === undefined ? undefined : new RateLimiter(rateLimit, clock),
    holds: new ClientHolds(maxHeldQueriesPerClient),
    streams: { open: 0 },
    heldAnswers: new HeldAnswers({ catalog: ctx.catalog, responses, log: ctx.log }),
  };
}
