/**
 * `/v1/agent/health/service/id/:id` and `/v1/agent/health/service/name/:name` (spec §4.6, §6.11):
 * the aggregated health of local instances as an HTTP status (200 passing, 429 warning, 503
 * critical or maintenance, 404 unknown), with `?format=text` for a plain-text answer.
 */
import type { Catalog } from '../../catalog/catalog.js';
import { isMaintenanceCheck, type InstanceRecord } from '../../catalog/types.js';
import type { HttpContext } from '../http-context.js';
import { badRequest, notFound } from '../../errors.js';
import type { ApiReply, ApiRequest, Route } from '../route.js';
import { checkShape } from '../shapes/check-shape.js';
import { agentServiceShape } from '../shapes/service-shape.js';

/** Consul's AggregatedStatus over an instance's checks, node checks included. */
export type AggregatedStatus = 'passing' | 'warning' | 'critical' | 'maintenance';

/** AggregatedStatus of one instance. */
export function aggregatedStatus(catalog: Catalog, serviceId: string): AggregatedStatus {
  const checks = [...catalog.nodeChecks(), ...catalog.checksOf(serviceId)];
  if (checks.some((c) => isMaintenanceCheck(c.id))) return 'maintenance';
  if (checks.some((c) => c.status === 'critical')) return 'critical';
  if (checks.some((c) => c.status === 'warning')) return 'warning';
  return 'passing';
}

const RANK: Record<AggregatedStatus, number> = { passing: 0, warning: 1, critical: 2, maintenance: 3 };
const CODE: Record<AggregatedStatus, number> = { passing: 200, warning: 429, critical: 503, maintenance: 503 };

/** The routes. */
export function agentHealthRoutes(ctx: HttpContext): Route[] {
  const { catalog, options } = ctx;
  const entry = (s: InstanceRecord) => {
    const status = aggregatedStatus(catalog, s.id);
    return {
      status,
      body: {
        AggregatedStatus: status,
        Service: agentServiceShape(s, options.datacenter),
        Checks: [...catalog.nodeChecks(), ...catalog.checksOf(s.id)].map((c) => checkShape(c, catalog)),
      },
    };
  };
  const answer = (req: ApiRequest, status: AggregatedStatus, body: unknown): ApiReply =>
    req.query.get('format') === 'text'
      ? { kind: 'text', status: CODE[status], body: status, contentType: 'text/plain; charset=utf-8' }
      : { kind: 'json', status: CODE[status], body };
  return [
    {
      path: '/v1/agent/health/service/id/',
      methods: ['GET'],
      name: 'agent/health/service/id',
      access: { kind: 'checked' },
      handle(req) {
        if (req.rest === '') throw badRequest('Missing serviceID');
        const s = catalog.instance(req.rest);
        if (!s) throw notFound(`ServiceId ${req.rest} not found`);
        req.acl.require('service', s.name, 'read');
        const e = entry(s);
        return answer(req, e.status, e.body);
      },
    },
    {
      path: '/v1/agent/health/service/name/',
      methods: ['GET'],
      name: 'agent/health/service/name',
      access: { kind: 'checked' },
      handle(req) {
        if (req.rest === '') throw badRequest('Missing service Name');
        req.acl.require('service', req.rest, 'read');
        const instances = catalog.instancesOf(req.rest);
        if (instances.length === 0) throw notFound(`ServiceName ${req.rest} Not Found`);
        const entries = instances.map(entry);
        const worst = entries.reduce<AggregatedStatus>((w, e) => (RANK[e.status] > RANK[w] ? e.status : w), 'passing');
        return answer(
          req,
          worst,
          entries.map((e) => e.body),
        );
      },
    },
  ];
}
