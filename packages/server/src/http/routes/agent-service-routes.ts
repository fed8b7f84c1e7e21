/** `/v1/agent/service/*` and `/v1/agent/services` (spec §6.1–6.4, §6.9). */
import { createHash } from 'node:crypto';
import type { HttpContext } from '../http-context.js';
import { badRequest, notFound } from '../../errors.js';
import { deregisterInstance } from '../../operations/deregister-instance.js';
import { setInstanceMaintenance } from '../../operations/maintenance.js';
import { registerInstance } from '../../operations/register-instance.js';
import { decodeServiceRegistration } from '../decode/decode-service.js';
import { checkHoldCapacity, filterOf } from '../read.js';
import type { ApiRequest, Route } from '../route.js';
import { agentServiceShape } from '../shapes/service-shape.js';
import { parseGoBool } from '../query.js';
import { parseBlockingParams } from '../../blocking/blocking-params.js';
import { serviceKey } from '../../catalog/indexes.js';
import { requireServiceWrite } from '../../acl/catalog-access.js';

/** `?enable=` of the maintenance endpoints. @throws ApiError 400 with Consul's wording. */
export function parseEnable(req: ApiRequest): boolean {
  const raw = req.query.get('enable');
  if (raw === null || raw === '') throw badRequest('Missing value for enable');
  const value = parseGoBool(raw);
  if (value === undefined) throw badRequest(`Invalid value for enable: "${raw}"`);
  return value;
}

/** `?replace-existing-checks` (presence or a true value). */
function replaceExistingChecks(req: ApiRequest): boolean {
  const raw = req.query.get('replace-existing-checks');
  if (raw === null) return false;
  return raw === '' || parseGoBool(raw) === true;
}

/** The routes. */
export function agentServiceRoutes(ctx: HttpContext): Route[] {
  const { catalog, committer, options } = ctx;
  const decodeOptions = { nodeAddress: options.nodeAddress, deregisterCriticalMinMs: options.deregisterCriticalMinMs };

  const serviceWithHash = (id: string) => {
    const s = catalog.instance(id);
    if (!s) return undefined;
    const shape = agentServiceShape(s, options.datacenter);
    const hash = createHash('sha256').update(JSON.stringify(shape)).digest('hex').slice(0, 16);
    return { shape: { ...shape, ContentHash: hash }, hash, name: s.name };
  };

  return [
    {
      path: '/v1/agent/service/register',
      methods: ['PUT'],
      name: 'agent/service/register',
      access: { kind: 'checked' },
      async handle(req) {
        const registration = decodeServiceRegistration(req.body, replaceExistingChecks(req), decodeOptions);
        // service:write on the new name, and on the name of the instance it replaces.
        req.acl.require('service', registration.service.name, 'write');
        requireServiceWrite(req.acl, catalog, registration.service.id);
        ctx.checks.targets.require(registration.checks, registration.service.address);
        await committer.submit(registerInstance(registration));
        return { kind: 'empty' };
      },
    },
    {
      path: '/v1/agent/service/deregister/',
      methods: ['PUT'],
      legacyGet: true,
      name: 'agent/service/deregister',
      access: { kind: 'checked' },
      async handle(req) {
        requireServiceWrite(req.acl, catalog, req.rest);
        await committer.submit(deregisterInstance(req.rest));
        return { kind: 'empty' };
      },
    },
    {
      path: '/v1/agent/service/maintenance/',
      methods: ['PUT'],
      name: 'agent/service/maintenance',
      access: { kind: 'checked' },
      async handle(req) {
        if (req.rest === '') throw badRequest('Missing service ID');
        const enable = parseEnable(req);
        requireServiceWrite(req.acl, catalog, req.rest);
        await committer.submit(setInstanceMaintenance(req.rest, enable, req.query.get('reason') ?? ''));
        return { kind: 'empty' };
      },
    },
    {
      path: '/v1/agent/service/',
      methods: ['GET'],
      name: 'agent/service',
      access: { kind: 'checked' },
      async handle(req) {
        const id = req.rest;
        let current = serviceWithHash(id);
        if (!current) throw notFound(`unknown service ID: ${id}`);
        req.acl.require('service', current.name, 'read');
        // Hash-based blocking: hold while the content hash equals ?hash.
        const wanted = req.query.get('hash');
        if (wanted !== null && wanted !== '' && wanted === current.hash && !ctx.closing()) {
          const { waitMs } = parseBlockingParams(req.query, options.random);
          checkHoldCapacity(ctx, req);
          const key = serviceKey(current.name);
          const before = catalog.indexes.get(key);
          const hold = ctx.waiters.hold([key], before, () => catalog.indexes.get(key), waitMs);
          req.onAbort(() => hold.cancel());
          if ((await hold.done) === 'cancelled') return { kind: 'none' };
          current = serviceWithHash(id);
          if (!current) throw notFound(`unknown service ID: ${id}`);
        }
        return { kind: 'json', body: current.shape, headers: { 'X-Consul-ContentHash': current.hash } };
      },
    },
    {
      path: '/v1/agent/services',
      methods: ['GET'],
      name: 'agent/services',
      access: { kind: 'checked' },
      handle(req) {
        const filter = filterOf(req);
        const out: Record<string, unknown> = {};
        for (const s of catalog.instances()) {
          const shape = agentServiceShape(s, options.datacenter);
          if (filter && !filter(shape)) continue;
          if (req.acl.allows('service', s.name, 'read')) out[s.id] = shape;
          else req.aclFiltered();
        }
        return { kind: 'json', body: out };
      },
    },
  ];
}
