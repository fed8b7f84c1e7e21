/**
 * The route model of the Consul API: a route owns an exact path or a prefix (ending in `/`) and
 * a fixed method list; for a prefix route the rest of the percent-decoded path is the ID (it may
 * contain `/`). Handlers get an ApiRequest and return an ApiReply; they never touch Fastify.
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { AclAccess, AclIdentity } from '../acl/acl.js';
import type { EncodedBody } from './encode-json.js';

/** Methods the API uses. */
export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'DELETE';

/** The connection side of a held read that answers itself when woken (held-read.ts). */
export interface DetachedReply {
  readonly res: ServerResponse;
  /**
   * The headers set before the answer, as flat name/value pairs (the ACL policy; the
   * filtered-by-ACLs flag): known when the read is held, since a cached answer does not depend on
   * who reads it.
   */
  readonly head: readonly string[];
}

/** What a handler sees of a request. */
export interface ApiRequest {
  readonly method: string;
  /** Percent-decoded path. */
  readonly path: string;
  /** For prefix routes: the decoded rest of the path after the prefix (may contain `/`). */
  readonly rest: string;
  readonly query: URLSearchParams;
  /** Raw body (any Content-Type), undefined when none was sent. */
  readonly body: Buffer | undefined;
  readonly headers: IncomingHttpHeaders;
  /** The ACL token (spec §7 precedence), `''` for none. */
  readonly token: string;
  /** What the token may do (everything when ACLs are off). */
  readonly acl: AclIdentity;
  /**
   * Records that the ACL removed at least one item from the answer: Consul then sets
   * `X-Consul-Results-Filtered-By-ACLs: true` (only when the request carried a token).
   */
  aclFiltered(): void;
  /** Registers a callback for the client going away before the answer was sent. */
  onAbort(callback: () => void): void;
  /** The key this client's requests are counted under (limits/client-key.ts). */
  readonly client: string;
  /**
   * Counts this request as held by its client until its answer ends (blocking queries, event
   * streams). @throws ApiError 429 `ROSTER_SERVER_CLIENT_HELD_QUERIES` when the client holds its maximum.
   */
  holdSlot(): void;
  /**
   * Takes the connection out of the framework's reply path for a held read that answers itself
   * when woken (held-read.ts), with the headers set so far; the handler then returns
   * `{ kind: 'held' }`. Absent when the request cannot be detached.
   */
  detach?(): DetachedReply;
}

/** What a handler answers. */
export type ApiReply =
  /** JSON body; with `index`, the blocking-query headers (X-Consul-Index etc.) are added. */
  | {
      readonly kind: 'json';
      readonly body: unknown;
      /** The body already encoded (from the response cache); `body` is ignored then. */
      readonly encoded?: EncodedBody;
      readonly index?: number;
      readonly status?: number;
      readonly headers?: Record<string, string>;
    }
  /** 200 with an empty body (agent writes). */
  | { readonly kind: 'empty' }
  /** A text or file body (metrics, plain answers, the dashboard's files), with extra headers. */
  | {
      readonly kind: 'text';
      readonly body: string | Buffer;
      readonly contentType: string;
      readonly status?: number;
      readonly headers?: Record<string, string>;
    }
  /** The handler takes over the raw response (server-sent events). */
  | { readonly kind: 'stream'; readonly start: (res: ServerResponse) => void }
  /** Nothing to send: the client already went away. */
  | { readonly kind: 'none' }
  /** Held, detached (ApiRequest.detach): the wake writes the answer. */
  | { readonly kind: 'held' };

/** One endpoint (or endpoint family for a prefix). */
export interface Route {
  /** Exact path, or a prefix ending with `/`. */
  readonly path: string;
  readonly methods: readonly HttpMethod[];
  /**
   * Also accept GET (python-consul 0.7.1 sends GET to legacy write endpoints; real Consul
   * answers 405; a documented deviation).
   */
  readonly legacyGet?: boolean;
  /** Short name for logs and metrics (e.g. `agent/service/register`). */
  readonly name: string;
  /** What the ACL requires before the handler runs (when ACLs are on); see {@link AclAccess}. */
  readonly access: AclAccess;
  readonly handle: (request: ApiRequest) => ApiReply | Promise<ApiReply>;
}

/** Finds the route of a path: exact paths first, then the longest matching prefix (Go's ServeMux). */
export class Router {
  readonly #exact = new Map<string, Route>();
  #prefixes: Route[] = [];

  add(route: Route): void {
    if (route.path.endsWith('/')) {
      this.#prefixes.push(route);
      this.#prefixes.sort((a, b) => b.path.length - a.path.length);
    } else {
      this.#exact.set(route.path, route);
    }
  }

  match(path: string): Route | undefined {
    const exact = this.#exact.get(path);
    if (exact) return exact;
    for (const route of this.#prefixes) if (path.startsWith(route.path)) return route;
    return undefined;
  }
}
