/**
 * Roster's own read endpoints for the dashboard (not Consul's; docs/compatibility.md):
 * - `GET /v1/roster/status`: the registry itself (index, uptime, counts, held blocking queries,
 *   watchers (open event streams and streaming watches) and watches, TTL renewals per second, data-dir size, version, bind address); needs
 *   `agent:read` on this node, like `/v1/agent/self`.
 * - `GET /v1/roster/history/<service>`: per instance of the service, the last health transitions
 *   since the server started and when each check last changed, plus whether the caller's token
 *   may write the service (the dashboard shows its actions only then); needs `service:read`.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ApiError, ServerErrorCode } from '../../errors.js';
import type { HttpContext } from '../http-context.js';
import type { Route } from '../route.js';

/** The routes. */
export function rosterStatusRoutes(ctx: HttpContext, version: string): Route[] {
  return [
    {
      path: '/v1/roster/status',
      methods: ['GET'],
      name: 'roster/status',
      access: { kind: 'require', resource: 'agent', level: 'read', name: 'node' },
      handle() {
        const now = ctx.options.clock.now();
        return {
          kind: 'json',
          body: {
            version,
            index: ctx.catalog.indexes.current,
            startedAt: new Date(ctx.startedAt).toISOString(),
            uptimeSeconds: Math.max(0, Math.round((now - ctx.startedAt) / 1000)),
            instances: ctx.catalog.instanceCount,
            services: countOf(ctx.catalog.serviceNames()),
            heldQueries: ctx.waiters.size,
            watchers: ctx.streams.open + ctx.watches.size,
            watches: ctx.watches.watchCount,
            ttlRenewalsPerSecond: ctx.metrics.ttlRenewals.perSecond(),
            dataDir: ctx.options.dataDir,
            dataDirBytes: dirBytes(ctx.options.dataDir),
            bind: ctx.listenAddress(),
            node: ctx.catalog.node.name,
            datacenter: ctx.options.datacenter,
            acl: ctx.acl.enabled ? ctx.acl.defaultPolicy : 'off',
          },
        };
      },
    },
    {
      path: '/v1/roster/history/',
      methods: ['GET'],
      name: 'roster/history',
      access: { kind: 'checked' },
      handle(req) {
        const service = req.rest;
        if (service === '') throw new ApiError(ServerErrorCode.BadRequest, 'Missing service name');
        req.acl.require('service', service, 'read');
        const instances: Record<string, unknown> = {};
        for (const instance of ctx.catalog.instancesOf(service)) {
          instances[instance.id] = {
            transitions: ctx.history.transitionsOf(instance),
            checks: Object.fromEntries(ctx.history.checkChangesOf(instance.id)),
          };
        }
        return {
          kind: 'json',
          body: {
            service,
            startedAt: new Date(ctx.startedAt).toISOString(),
            mayWrite: req.acl.allows('service', service, 'write'),
            instances,
            nodeChecks: Object.fromEntries(ctx.history.checkChangesOf('')),
          },
        };
      },
    },
  ];
}

function countOf(items: Iterable<unknown>): number {
  let n = 0;
  for (const _ of items) n++;
  return n;
}

/** Bytes of the files directly in the data dir (the store and its WAL); 0 when unreadable. */
function dirBytes(dir: string): number {
  let total = 0;
  try {
    for (const name of readdirSync(dir)) {
      try {
        const s = statSync(join(dir, name));
        if (s.isFile()) total += s.size;
      } catch {
        // A file removed while counting (a WAL checkpoint) counts as nothing.
      }
    }
  } catch {
    return 0;
  }
  return total;
}
