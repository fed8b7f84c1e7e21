/** `/v1/status/leader` and `/v1/status/peers` (spec §6.19): this node is always the leader. */
import type { HttpContext } from '../http-context.js';
import { checkDatacenter } from '../read.js';
import type { Route } from '../route.js';

/** The routes. */
export function statusRoutes(ctx: HttpContext): Route[] {
  const self = () => `${ctx.catalog.node.address}:8300`;
  return [
    {
      path: '/v1/status/leader',
      methods: ['GET'],
      name: 'status/leader',
      access: { kind: 'public' },
      handle(req) {
        checkDatacenter(ctx, req);
        return { kind: 'json', body: self() };
      },
    },
    {
      path: '/v1/status/peers',
      methods: ['GET'],
      name: 'status/peers',
      access: { kind: 'public' },
      handle(req) {
        checkDatacenter(ctx, req);
        return { kind: 'json', body: [self()] };
      },
    },
  ];
}
