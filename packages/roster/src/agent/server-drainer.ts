/**
 * ServerDrainer: closes a node:http(s) server without cutting requests it accepted.
 *
 * Node's `server.close()` stops accepting connections and closes idle ones, but a keep-alive
 * connection that is busy when `close()` is called stays open after its response until the
 * keep-alive timeout (5 s), and the client may send more requests on it. So the drainer tracks
 * responses in flight from the start: once draining, responses not yet started carry
 * `Connection: close` (the client opens a new connection for its next request, which reaches
 * the listener while it is still open, or is refused once it is closed — never accepted and
 * then cut), and after `close()` every finished response closes the connections that became
 * idle. Requests still running at the time limit have their connections closed by force.
 */
import type http from 'node:http';
import type https from 'node:https';
import type { Clock } from '../clock.js';
import { settlesWithin } from '../internal/settles-within.js';

/** A server the agent can drain: node:http or node:https (for Fastify, `app.server`). */
export type HttpServer = http.Server | https.Server;

/** What closing found. */
export interface CloseOutcome {
  /** Connections still open at the time limit, closed by force (0 when everything finished). */
  readonly forcedConnections: number;
}

/** After closing connections by force, how long to wait for the server's `close` before going on (upgraded sockets are not closed by Node). */
const FORCED_SETTLE_MS = 1000;

/** Tracks a server's responses in flight and closes it gracefully; see the file comment. */
export class ServerDrainer {
  readonly #server: HttpServer;
  readonly #inFlight = new Set<http.ServerResponse>();
  #draining = false;
  #closing = false;
  #disposed = false;

  readonly #onRequest = (_req: http.IncomingMessage, res: http.ServerResponse): void => {
    if (this.#disposed) return;
    this.#inFlight.add(res);
    if (this.#draining) this.#noKeepAlive(res);
    res.once('close', () => {
      this.#inFlight.delete(res);
      if (this.#closing) this.#server.closeIdleConnections();
    });
  };

  constructor(server: HttpServer) {
    this.#server = server;
    // Prepended, so the header is set before the application's listener writes the head.
    server.prependListener('request', this.#onRequest);
  }

  /** From now on, responses end their connection (`Connection: close`). The server keeps listening. */
  startDraining(): void {
    this.#draining = true;
    for (const res of this.#inFlight) this.#noKeepAlive(res);
  }

  /**
   * Stops listening, lets requests in flight finish, and resolves when the server has closed —
   * or, at `timeoutMs` on `clock`, closes the remaining connections and resolves.
   */
  async close(timeoutMs: number, clock: Clock): Promise<CloseOutcome> {
    this.startDraining();
    this.#closing = true;
    const server = this.#server;
    // The callback runs when the last connection is gone (with an error when the server was
    // not listening any more, which is as closed as it gets).
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    if (await settlesWithin(closed, timeoutMs, clock)) return { forcedConnections: 0 };
    const forcedConnections = await new Promise<number>((resolve) => server.getConnections((_error, count) => resolve(count ?? 0)));
    server.closeAllConnections();
    await settlesWithin(closed, FORCED_SETTLE_MS, clock);
    return { forcedConnections };
  }

  /** Stops tracking (removes the drainer's request listener). Idempotent. */
  dispose(): void {
    this.#disposed = true;
    this.#server.off('request', this.#onRequest);
    this.#inFlight.clear();
  }

  #noKeepAlive(res: http.ServerResponse): void {
    if (!res.headersSent) res.setHeader('Connection', 'close');
  }
}
