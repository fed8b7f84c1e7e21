/**
 * `GET /v1/roster/events`: the event stream as server-sent events (roster's own endpoint, not
 * Consul's). Each event: `id: <index>`, `event: <type>`, `data: <JSON>`; a comment line every
 * 15 s keeps proxies from closing an idle stream. Ends when the server shuts down.
 */
import type { HttpContext } from '../http-context.js';
import type { Route } from '../route.js';

/** Seconds between keep-alive comments. */
export const SSE_KEEPALIVE_MS = 15_000;

/** The route. */
export function eventsRoutes(ctx: HttpContext): Route[] {
  return [
    {
      path: '/v1/roster/events',
      methods: ['GET'],
      name: 'roster/events',
      access: { kind: 'checked' },
      handle(req) {
        // The identity is fixed when the stream opens; each event is shown only if its service may be read.
        const acl = req.acl;
        const nodeName = ctx.catalog.node.name;
        const visible = (service: string) => acl.all || (acl.allows('service', service, 'read') && acl.allows('node', nodeName, 'read'));
        // A stream is held like a blocking query: it counts against its client's limit until it ends.
        req.holdSlot();
        return {
          kind: 'stream',
          start(res) {
            res.writeHead(200, {
              'Content-Type': 'text/event-stream; charset=utf-8',
              'Cache-Control': 'no-cache',
              Connection: 'keep-alive',
              'X-Consul-Index': String(Math.max(1, ctx.catalog.indexes.current)),
            });
            res.write(`: roster events, index ${ctx.catalog.indexes.current}\n\n`);
            ctx.streams.open++;
            const unsubscribe = ctx.events.subscribe((event) => {
              if (!visible(event.type === 'register' ? event.instance.service : event.service)) return;
              res.write(`id: ${event.index}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
            });
            const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), SSE_KEEPALIVE_MS);
            keepAlive.unref();
            let removeOnClose = () => {};
            let ended = false;
            const end = () => {
              if (ended) return;
              ended = true;
              ctx.streams.open--;
              removeOnClose();
              unsubscribe();
              clearInterval(keepAlive);
              if (!res.writableEnded) res.end();
            };
            res.once('close', end);
            removeOnClose = ctx.onClose(end);
          },
        };
      },
    },
  ];
}
