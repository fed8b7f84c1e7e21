/** `/v1/health/*` (spec §6.16–6.18). All are blocking queries. */
import { serviceKey } from '../../catalog/indexes.js';
import { type CheckRecord, type InstanceRecord, isThisNode } from '../../catalog/types.js';
import { HealthEntries } from '../health-entries.js';
import { cacheQueryKey } from '../response-cache.js';
import type { HttpContext } from '../http-context.js';
import { badRequest } from '../../errors.js';
import { parseGoBool } from '../query.js';
import { blockingRead, filterOf } from '../read.js';
import type { ApiRequest, Route } from '../route.js';
import { checkShape } from '../shapes/check-shape.js';
import { nodeShape } from '../shapes/node-shape.js';
import { nodeServiceShape } from '../shapes/service-shape.js';
import { ANY_TAGS, nodeMetaMatches, tagMatcher } from './select.js';
import { allowsCheck, allowsServiceRead } from '../../acl/catalog-access.js';

/** `?passing`: present and empty means true; otherwise Go's ParseBool. */
function passingOf(req: ApiRequest): boolean {
  const raw = req.query.get('passing');
  if (raw === null) return false;
  if (raw === '') return true;
  const value = parseGoBool(raw);
  if (value === undefined) throw badRequest('Invalid value for ?passing');
  return value;
}

const EMPTY = Buffer.from('[]');

/** The routes. */
export function healthRoutes(ctx: HttpContext): Route[] {
  const { catalog } = ctx;
  const indexes = () => catalog.indexes;
  const shapes = (checks: readonly CheckRecord[]) => checks.map((c) => checkShape(c, catalog));
  /** Encoded health/service entries, by piece: a change re-encodes only what it touched (D81). */
  const entries = new HealthEntries(catalog);
  return [
    {
      path: '/v1/health/service/',
      methods: ['GET'],
      name: 'health/service',
      access: { kind: 'checked' },
      handle(req) {
        const name = req.rest;
        if (name === '') throw badRequest('Missing service name');
        const passing = passingOf(req);
        const filter = filterOf(req);
        const tags = tagMatcher(req);
        // node:read and service:read: on one node, all instances or none (so the cache stays valid).
        if (!allowsServiceRead(req.acl, catalog, name)) {
          return blockingRead(ctx, req, {
            keys: [serviceKey(name)],
            index: () => indexes().forService(name),
            render() {
              if (catalog.instancesOf(name).length > 0) req.aclFiltered();
              return [];
            },
          });
        }
        return blockingRead(ctx, req, {
          keys: [serviceKey(name)],
          index: () => indexes().forService(name),
          cache: { key: `health/service\u0000${name.toLowerCase()}`, contentKey: serviceKey(name) },
          encode() {
            // Same selection as render(); a filter needs the entry objects, so it renders.
            if (filter) return undefined;
            if (!nodeMetaMatches(req, catalog.node)) return EMPTY;
            if (passing && !catalog.nodeChecks().every((c) => c.status === 'passing')) return EMPTY;
            const all = catalog.instancesOf(name);
            // Without a tag or ?passing selection, the catalog's own sorted list (no copy).
            const chosen: InstanceRecord[] | undefined = tags === ANY_TAGS && !passing ? undefined : [];
            const owns: (readonly CheckRecord[])[] = [];
            for (const s of all) {
              if (!tags(s)) continue;
              const own = catalog.checksOf(s.id);
              if (passing && !own.every((c) => c.status === 'passing')) continue;
              chosen?.push(s);
              owns.push(own);
            }
            return entries.encode(`${name.toLowerCase()}\u0000${cacheQueryKey(req.query)}`, chosen ?? all, owns);
          },
          render() {
            if (!nodeMetaMatches(req, catalog.node)) return [];
            const node = nodeShape(catalog.node);
            const nodeChecks = catalog.nodeChecks();
            const nodePassing = nodeChecks.every((c) => c.status === 'passing');
            if (passing && !nodePassing) return [];
            const nodeCheckShapes = shapes(nodeChecks);
            const out: unknown[] = [];
            for (const s of catalog.instancesOf(name)) {
              if (!tags(s)) continue;
              const own = catalog.checksOf(s.id);
              // ?passing keeps an entry only when every check, node checks included, passes.
              if (passing && !own.every((c) => c.status === 'passing')) continue;
              const entry = { Node: node, Service: nodeServiceShape(s), Checks: [...nodeCheckShapes, ...shapes(own)] };
              if (!filter || filter(entry)) out.push(entry);
            }
            return out;
          },
        });
      },
    },
    {
      path: '/v1/health/checks/',
      methods: ['GET'],
      name: 'health/checks',
      access: { kind: 'checked' },
      handle(req) {
        const name = req.rest;
        if (name === '') throw badRequest('Missing service name');
        const filter = filterOf(req);
        const visible = allowsServiceRead(req.acl, catalog, name);
        return blockingRead(ctx, req, {
          keys: [serviceKey(name)],
          index: () => indexes().forService(name),
          render() {
            if (!visible) {
              if (catalog.instancesOf(name).some((s) => catalog.checksOf(s.id).length > 0)) req.aclFiltered();
              return [];
            }
            if (!nodeMetaMatches(req, catalog.node)) return [];
            const out: unknown[] = [];
            for (const s of catalog.instancesOf(name)) {
              for (const shape of shapes(catalog.checksOf(s.id))) if (!filter || filter(shape)) out.push(shape);
            }
            return out;
          },
        });
      },
    },
    {
      path: '/v1/health/state/',
      methods: ['GET'],
      name: 'health/state',
      access: { kind: 'checked' },
      handle(req) {
        const state = req.rest;
        if (state === '') throw badRequest('Missing check state');
        const filter = filterOf(req);
        return blockingRead(ctx, req, {
          keys: ['checks'],
          index: () => indexes().forTable('checks'),
          render() {
            if (!nodeMetaMatches(req, catalog.node)) return [];
            const out: unknown[] = [];
            for (const c of catalog.checks()) {
              if (state !== 'any' && c.status !== state) continue;
              const shape = checkShape(c, catalog);
              if (filter && !filter(shape)) continue;
              if (allowsCheck(req.acl, catalog, c, 'read')) out.push(shape);
              else req.aclFiltered();
            }
            return out;
          },
        });
      },
    },
    {
      path: '/v1/health/node/',
      methods: ['GET'],
      name: 'health/node',
      access: { kind: 'checked' },
      handle(req) {
        const name = req.rest;
        if (name === '') throw badRequest('Missing node name');
        const filter = filterOf(req);
        return blockingRead(ctx, req, {
          keys: ['nodes', 'checks'],
          index: () => indexes().max('nodes', 'checks'),
          render() {
            if (!isThisNode(name, catalog.node)) return [];
            const out: unknown[] = [];
            for (const c of catalog.checks()) {
              const shape = checkShape(c, catalog);
              if (filter && !filter(shape)) continue;
              if (allowsCheck(req.acl, catalog, c, 'read')) out.push(shape);
              else req.aclFiltered();
            }
            return out;
          },
        });
      },
    },
  ];
}
