/** `/v1/agent/self`, `/v1/agent/members`, `/v1/agent/maintenance`, `/v1/agent/metrics` (spec §6.9–6.11). */
import type { HttpContext } from '../http-context.js';
import { setNodeMaintenance } from '../../operations/maintenance.js';
import type { Route } from '../route.js';
import { nodeMeta } from '../shapes/node-shape.js';
import { parseEnable } from './agent-service-routes.js';

/** The Consul version roster serve reports (its API subset follows Consul 1.15). */
export const CONSUL_COMPAT_VERSION = '1.15.4';

/** The routes. */
export function agentRoutes(ctx: HttpContext, version: string): Route[] {
  const { catalog, committer, options } = ctx;
  const member = () => ({
    Name: catalog.node.name,
    Addr: catalog.node.address,
    Port: 8301,
    Tags: {
      role: 'consul',
      dc: options.datacenter,
      id: catalog.node.id,
      vsn: '2',
      vsn_min: '2',
      vsn_max: '3',
      build: `${CONSUL_COMPAT_VERSION}:roster-${version}`,
      port: '8300',
      bootstrap: '1',
    },
    Status: 1,
    ProtocolMin: 1,
    ProtocolMax: 5,
    ProtocolCur: 2,
    DelegateMin: 2,
    DelegateMax: 5,
    DelegateCur: 4,
  });
  return [
    {
      path: '/v1/agent/self',
      methods: ['GET'],
      name: 'agent/self',
      access: { kind: 'require', resource: 'agent', level: 'read', name: 'node' },
      handle() {
        // Every top-level value must be an object: the Go client decodes map[string]map[string]any.
        const node = catalog.node;
        return {
          kind: 'json',
          body: {
            Config: {
              Datacenter: options.datacenter,
              PrimaryDatacenter: options.datacenter,
              NodeName: node.name,
              NodeID: node.id,
              Revision: `roster-${version}`,
              Server: true,
              Version: CONSUL_COMPAT_VERSION,
              BuildDate: '2023-01-01T00:00:00Z',
            },
            DebugConfig: {},
            Coord: null,
            Member: member(),
            Stats: {
              agent: { checks: String(catalog.nodeChecks().length), services: String(catalog.instanceCount) },
              roster: { version, held_queries: String(ctx.waiters.size), index: String(catalog.indexes.current) },
            },
            Meta: nodeMeta(node),
            xDS: null,
          },
        };
      },
    },
    {
      path: '/v1/agent/members',
      methods: ['GET'],
      name: 'agent/members',
      access: { kind: 'checked' },
      handle(req) {
        if (req.acl.allows('node', catalog.node.name, 'read')) return { kind: 'json', body: [member()] };
        req.aclFiltered();
        return { kind: 'json', body: [] };
      },
    },
    {
      path: '/v1/agent/maintenance',
      methods: ['PUT'],
      name: 'agent/maintenance',
      access: { kind: 'require', resource: 'node', level: 'write', name: 'node' },
      async handle(req) {
        const enable = parseEnable(req);
        await committer.submit(setNodeMaintenance(enable, req.query.get('reason') ?? ''));
        return { kind: 'empty' };
      },
    },
    {
      path: '/v1/agent/metrics',
      methods: ['GET'],
      name: 'agent/metrics',
      access: { kind: 'require', resource: 'agent', level: 'read', name: 'node' },
      async handle(req) {
        if (req.query.get('format') === 'prometheus') {
          const { text, contentType } = await ctx.metrics.expose();
          return { kind: 'text', body: text, contentType };
        }
        // Consul's JSON form; roster reports its numbers in the Prometheus form only.
        return {
          kind: 'json',
          body: { Timestamp: new Date(options.clock.now()).toISOString(), Gauges: [], Points: [], Counters: [], Samples: [] },
        };
      },
    },
  ];
}
