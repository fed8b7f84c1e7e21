/**
 * The streaming watch, roster's own endpoint (not Consul's; docs/compatibility.md): one HTTP/1.1
 * connection carries any number of service watches.
 *
 * - `GET /v1/roster/watch[?service=<name>[@<index>]...]` opens a stream: a chunked
 *   `application/x-ndjson` answer whose first line is `{"Stream":"<id>","Index":<n>}` (the id is
 *   also in `X-Roster-Watch-Stream`). Then one line per update:
 *   `{"Service":"<name>","Index":<n>,"Entries":[…]}` with the entries of
 *   `/v1/health/service/<name>` (`"Filtered":true` and no entries when the token may not read
 *   the service); `{"KeepAlive":<n>}` every 15 s; `{"Closed":"…"}` last when the server stops.
 * - `PUT /v1/roster/watch/<id>/<service>[?index=<n>]` adds (or moves) a watch on the live stream;
 *   its state comes at once when its index is past `n` (always for 0, the default), else at its
 *   next change. `DELETE /v1/roster/watch/<id>/<service>` removes it. Both need the token the
 *   stream was opened with and answer `{"Stream","Service","Watches"}`.
 *
 * A slow reader gets the newest state of each service, never a backlog (see WatchStream).
 */
import type { ServerResponse } from 'node:http';
import { allowsServiceRead } from '../../acl/catalog-access.js';
import { serviceKey } from '../../catalog/indexes.js';
import { ApiError, badRequest, notFound, ServerErrorCode } from '../../errors.js';
import type { WatchSink, WatchSource, WatchStream } from '../../watch/watch-stream.js';
import type { HttpContext } from '../http-context.js';
import type { ApiReply, ApiRequest, Route } from '../route.js';
import { checkShape } from '../shapes/check-shape.js';
import { nodeShape } from '../shapes/node-shape.js';
import { nodeServiceShape } from '../shapes/service-shape.js';

/** Milliseconds between keep-alive lines. */
export const WATCH_KEEPALIVE_MS = 15_000;
/** Longest service name a watch takes. */
export const MAX_WATCH_NAME = 256;
/** Most `service` parameters on the opening request. */
export const MAX_OPEN_SERVICES = 1000;

/** Encoded lines kept (one per watched service name). */
const MAX_CACHED_LINES = 10_000;

const NEWLINE = Buffer.from('\n');

/** The service name of a watch. @throws ApiError 400 naming what is wrong. */
function checkName(name: string): string {
  if (name === '') throw badRequest('Missing service name');
  if (name.length > MAX_WATCH_NAME) throw badRequest(`Invalid service name: longer than ${MAX_WATCH_NAME} characters`);
  if (/[\u0000-\u001f\u007f/]/.test(name)) throw badRequest(`Invalid service name ${JSON.stringify(name)}: control characters or "/"`);
  return name;
}

/** A watch index: decimal digits (as Consul's `?index`). @throws ApiError 400. */
function checkIndex(raw: string | null, what: string): number {
  if (raw === null || raw === '') return 0;
  if (!/^\d{1,20}$/.test(raw)) throw badRequest(`Invalid index ${JSON.stringify(raw)} ${what}: must be decimal digits`);
  return Math.min(Number(raw), Number.MAX_SAFE_INTEGER);
}

/** The routes (only when the server offers streaming watches). */
export function watchRoutes(ctx: HttpContext): Route[] {
  const { catalog, watches } = ctx;
  const render = (name: string, entries: unknown[] | undefined): Buffer => {
    const index = catalog.indexes.forService(name);
    const body =
      entries === undefined
        ? { Service: name, Index: index, Entries: [], Filtered: true }
        : { Service: name, Index: index, Entries: entries };
    return Buffer.concat([Buffer.from(JSON.stringify(body)), NEWLINE]);
  };
  const entriesOf = (name: string): unknown[] => {
    const node = nodeShape(catalog.node);
    const nodeChecks = catalog.nodeChecks().map((c) => checkShape(c, catalog));
    return catalog.instancesOf(name).map((s) => ({
      Node: node,
      Service: nodeServiceShape(s),
      Checks: [...nodeChecks, ...catalog.checksOf(s.id).map((c) => checkShape(c, catalog))],
    }));
  };
  /**
   * The line of a service every reader that may read it gets: encoded once per change (per
   * content version), shared by every stream. Bounded: cleared when it holds MAX_CACHED_LINES.
   */
  const lines = new Map<string, { version: string; line: Buffer }>();
  const sharedLine = (name: string): Buffer => {
    const version = catalog.contentVersion(serviceKey(name));
    const cached = lines.get(name);
    if (cached?.version === version) return cached.line;
    if (lines.size >= MAX_CACHED_LINES) lines.clear();
    const line = render(name, entriesOf(name));
    lines.set(name, { version, line });
    return line;
  };

  const streamOf = (req: ApiRequest): { stream: WatchStream; name: string } => {
    const slash = req.rest.indexOf('/');
    const id = slash < 0 ? req.rest : req.rest.slice(0, slash);
    if (id === '') throw badRequest('Missing watch stream id: use /v1/roster/watch/<stream>/<service>');
    if (slash < 0) throw badRequest('Missing service name: use /v1/roster/watch/<stream>/<service>');
    const name = checkName(req.rest.slice(slash + 1));
    const stream = watches.get(id);
    if (!stream) {
      throw new ApiError(
        ServerErrorCode.WatchStreamNotFound,
        `No watch stream ${JSON.stringify(id.slice(0, 64))} (it ended, or never existed)`,
      );
    }
    if (ctx.acl.enabled && stream.token !== req.token) {
      throw new ApiError(ServerErrorCode.PermissionDenied, `Permission denied: watch stream ${id} was opened with another token`);
    }
    return { stream, name };
  };
  const answer = (stream: WatchStream, name: string): ApiReply => ({
    kind: 'json',
    body: { Stream: stream.id, Service: name, Watches: stream.size },
  });

  return [
    {
      path: '/v1/roster/watch',
      methods: ['GET'],
      name: 'roster/watch',
      access: { kind: 'checked' },
      handle(req) {
        const initial: [string, number][] = [];
        const asked = req.query.getAll('service');
        if (asked.length > MAX_OPEN_SERVICES)
          throw badRequest(`Too many ?service parameters (limit ${MAX_OPEN_SERVICES}); add more with PUT`);
        for (const value of asked) {
          const at = value.lastIndexOf('@');
          const name = checkName(at < 0 ? value : value.slice(0, at));
          initial.push([name, at < 0 ? 0 : checkIndex(value.slice(at + 1), `of ?service=${name}`)]);
        }
        if (initial.length > ctx.options.maxWatchesPerStream) {
          throw new ApiError(ServerErrorCode.TooManyWatches, `Too many watches (limit ${ctx.options.maxWatchesPerStream} per stream)`);
        }
        if (ctx.closing()) throw new ApiError(ServerErrorCode.ShuttingDown, 'The server is shutting down');
        const acl = req.acl;
        const source: WatchSource = {
          indexOf: (name) => catalog.indexes.forService(name),
          current: () => catalog.indexes.current,
          render: (name) => {
            if (allowsServiceRead(acl, catalog, name)) return sharedLine(name);
            return render(name, undefined);
          },
        };
        let res!: ServerResponse;
        const sink: WatchSink = {
          write: (chunk) => res.write(chunk),
          cork: () => res.cork(),
          uncork: () => res.uncork(),
          onDrain: (fn) => res.once('drain', fn),
          buffered: () => (res ? res.writableLength : 0),
          end: (last) => {
            if (res.writableEnded) return;
            if (last && !res.destroyed) res.end(last);
            else res.end();
          },
        };
        // A streaming watch is held like a blocking query: it counts against its client's limit (429).
        req.holdSlot();
        // Opened before the answer starts, so the limit is answered as a plain 503.
        const stream = watches.open(req.token, sink, source);
        return {
          kind: 'stream',
          start(raw) {
            res = raw;
            res.writeHead(200, {
              'Content-Type': 'application/x-ndjson',
              'Cache-Control': 'no-cache',
              'X-Roster-Watch-Stream': stream.id,
              'X-Consul-Index': String(Math.max(1, catalog.indexes.current)),
            });
            res.write(`${JSON.stringify({ Stream: stream.id, Index: catalog.indexes.current })}\n`);
            for (const [name, index] of initial) stream.add(name, index);
            const keepAlive = setInterval(() => stream.ping(Buffer.from(`{"KeepAlive":${catalog.indexes.current}}\n`)), WATCH_KEEPALIVE_MS);
            keepAlive.unref();
            res.once('close', () => {
              clearInterval(keepAlive);
              watches.close(stream);
            });
          },
        };
      },
    },
    {
      path: '/v1/roster/watch/',
      methods: ['PUT', 'DELETE'],
      name: 'roster/watch/control',
      access: { kind: 'checked' },
      handle(req) {
        const { stream, name } = streamOf(req);
        if (req.method === 'PUT') {
          stream.add(name, checkIndex(req.query.get('index'), `of ${name}`));
          return answer(stream, name);
        }
        if (!stream.remove(name)) throw notFound(`Service ${JSON.stringify(name)} is not watched on stream ${stream.id}`);
        return answer(stream, name);
      },
    },
  ];
}
