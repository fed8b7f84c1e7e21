/** What the HTTP routes reach: the server's parts plus what only the HTTP edge keeps. */
import type { ServerContext } from '../context.js';
import { ResponseCache } from './response-cache.js';

/** The server's parts plus the HTTP edge's own state, shared by the routes. */
export interface HttpContext extends ServerContext {
  /** Encoded answers of the hot reads. */
  readonly responses: ResponseCache;
  /** Open streaming answers (event streams): the registry view's watchers. */
  readonly streams: { open: number };
}

/** The HTTP edge's context over the server's parts (a fresh, empty response cache). */
export function httpContext(ctx: ServerContext): HttpContext {
  return { ...ctx, responses: new ResponseCache(), streams: { open: 0 } };
}
