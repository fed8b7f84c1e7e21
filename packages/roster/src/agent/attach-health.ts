/**
 * attachHealth(): adds `/health` to an existing node:http(s) server without touching its routes.
 */
import type http from 'node:http';
import * as v from '../internal/options.js';
import { type HealthSourceRef, healthHandler } from './health-handler.js';
import type { HttpServer } from './server-drainer.js';

type RequestListener = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/**
 * Serves `GET`/`HEAD <path>` (default `/health`) from `source` on `server`; every other request
 * goes to the server's request listeners as before.
 *
 * Node calls every `'request'` listener for every request, so adding one more would let the
 * application answer `/health` too. Instead the listeners present now (the one given to
 * `createServer`, and the agent's tracker) are moved behind a single listener that answers the
 * health path itself and hands everything else to them, in their order. Attach after the
 * application's listeners; a listener added later sees health requests too.
 * For Fastify use `fastifyHealth` as a route instead.
 * @returns a function that undoes it (puts the original listeners back).
 * @throws InvalidArgumentError naming `server` (not an EventEmitter-like http server), `source`
 *   (neither an announcement nor a function returning one) or `path` (not a string starting with `/`).
 */
export function attachHealth(server: HttpServer, source: HealthSourceRef, path = '/health'): () => void {
  v.withMethods<HttpServer>(['listeners', 'on', 'off'], 'a node:http(s) server')(server, 'server');
  if (typeof source !== 'function' && !(v.isObject(source) && v.isObject(source.health))) {
    v.fail('source', `must be an announcement (announce()) or a function returning one, got ${v.describe(source)}`);
  }
  v.string(1, 2048, /^\//, 'a path starting with /')(path, 'path');
  const health = healthHandler(source, path);
  const originals = server.listeners('request') as RequestListener[];
  const listener: RequestListener = (req, res) => {
    if (health(req, res)) return;
    for (const original of originals) original.call(server, req, res);
  };
  for (const original of originals) server.off('request', original);
  server.on('request', listener);
  let attached = true;
  return () => {
    if (!attached) return;
    attached = false;
    server.off('request', listener);
    for (const original of originals) server.on('request', original);
  };
}
