/** `/v1/agent/check/*` and `/v1/agent/checks` (spec §6.5–6.8). */
import { type HealthStatus, isHealthStatus } from '@rosterjs/roster';
import { type CheckRecord, SERF_HEALTH_CHECK_ID } from '../../catalog/types.js';
import type { HttpContext } from '../http-context.js';
import { badRequest } from '../../errors.js';
import { deregisterCheck } from '../../operations/deregister-check.js';
import { registerCheck } from '../../operations/register-check.js';
import { truncateOutput, updateTtl } from '../../operations/update-check.js';
import { decodeCheckDefinition } from '../decode/decode-check-definition.js';
import { parseJsonObject } from '../decode/fields.js';
import { filterOf } from '../read.js';
import type { ApiRequest, Route } from '../route.js';
import { checkShape } from '../shapes/check-shape.js';
import { allowsCheck, requireCheckWrite } from '../../acl/catalog-access.js';

const EMPTY = { kind: 'empty' } as const;

/** True when a TTL update would leave the check exactly as it is. */
function isUnchangedTtl(check: CheckRecord | undefined, status: HealthStatus, output: string): boolean {
  if (check === undefined || check.id === SERF_HEALTH_CHECK_ID || check.definition.type !== 'ttl' || check.status !== status) return false;
  return check.output === output || check.output === truncateOutput(output, check.definition.outputMaxSize);
}

/** The routes. */
export function agentCheckRoutes(ctx: HttpContext): Route[] {
  const { catalog, committer, options } = ctx;

  const ttlUpdate = async (req: ApiRequest, id: string, status: HealthStatus, output: string) => {
    requireCheckWrite(req.acl, catalog, id);
    const current = catalog.check(id);
    // A heartbeat that changes nothing (same status, same output) does not enter the commit
    // path at all: it only renews the TTL (D85).
    if (isUnchangedTtl(current, status, output)) {
      ctx.checks.renewTtl(id);
      return EMPTY;
    }
    // One that keeps the status writes nothing (an output change is kept in memory only): run
    // it at once instead of waiting for the next group commit. A status change joins the batch
    // (one sync for many).
    const immediate = current?.definition.type === 'ttl' && current.status === status;
    await committer.submit(updateTtl(id, status, output), { immediate });
    ctx.checks.renewTtl(id);
    return EMPTY;
  };
  const ttlRoute = (verb: 'pass' | 'warn' | 'fail', status: HealthStatus): Route => ({
    path: `/v1/agent/check/${verb}/`,
    methods: ['PUT'],
    legacyGet: true,
    name: `agent/check/${verb}`,
    access: { kind: 'checked' },
    handle: (req: ApiRequest) => ttlUpdate(req, req.rest, status, req.query.get('note') ?? ''),
  });

  return [
    {
      path: '/v1/agent/check/register',
      methods: ['PUT'],
      name: 'agent/check/register',
      access: { kind: 'checked' },
      async handle(req) {
        const check = decodeCheckDefinition(req.body, { deregisterCriticalMinMs: options.deregisterCriticalMinMs });
        // service:write on the check's service, node:write for a node check; the same for a check it replaces.
        if (check.serviceId === '') req.acl.require('node', catalog.node.name, 'write');
        else if (catalog.instance(check.serviceId)) req.acl.require('service', catalog.instance(check.serviceId)!.name, 'write');
        requireCheckWrite(req.acl, catalog, check.id);
        ctx.checks.targets.require([check], ctx.checks.targets.ownAddress(check.serviceId));
        await committer.submit(registerCheck(check));
        return { kind: 'empty' };
      },
    },
    {
      path: '/v1/agent/check/deregister/',
      methods: ['PUT'],
      legacyGet: true,
      name: 'agent/check/deregister',
      access: { kind: 'checked' },
      async handle(req) {
        requireCheckWrite(req.acl, catalog, req.rest);
        await committer.submit(deregisterCheck(req.rest));
        return { kind: 'empty' };
      },
    },
    ttlRoute('pass', 'passing'),
    ttlRoute('warn', 'warning'),
    ttlRoute('fail', 'critical'),
    {
      path: '/v1/agent/check/update/',
      methods: ['PUT'],
      name: 'agent/check/update',
      access: { kind: 'checked' },
      handle(req) {
        const f = parseJsonObject(req.body, 'agent.checkUpdate');
        const status = f.string('Status') ?? '';
        if (!isHealthStatus(status)) throw badRequest(`Invalid check status: '${status}'`);
        return ttlUpdate(req, req.rest, status, f.string('Output') ?? '');
      },
    },
    {
      path: '/v1/agent/checks',
      methods: ['GET'],
      name: 'agent/checks',
      access: { kind: 'checked' },
      handle(req) {
        const filter = filterOf(req);
        const out: Record<string, unknown> = {};
        for (const c of catalog.checks()) {
          // serfHealth belongs to the cluster membership, not to the agent's local checks.
          if (c.id === SERF_HEALTH_CHECK_ID) continue;
          const shape = checkShape(c, catalog);
          if (filter && !filter(shape)) continue;
          if (allowsCheck(req.acl, catalog, c, 'read')) out[c.id] = shape;
          else req.aclFiltered();
        }
        return { kind: 'json', body: out };
      },
    },
  ];
}
