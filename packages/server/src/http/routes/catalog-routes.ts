/** `/v1/catalog/*` reads (spec §6.12–6.14). All are blocking queries. */
import { serviceKey } from '../../catalog/indexes.js';
import { isThisNode } from '../../catalog/types.js';
import type { HttpContext } from '../http-context.js';
import { catalogDeregister, catalogRegister } from '../../operations/catalog-write.js';
import { decodeCatalogDeregistration, decodeCatalogRegistration } from '../decode/decode-catalog-registration.js';
import { badRequest } from '../../errors.js';
import { blockingRead, checkDatacenter, filterOf } from '../read.js';
import type { Route } from '../route.js';
import { nodeShape } from '../shapes/node-shape.js';
import { catalogServiceShape, nodeServiceShape } from '../shapes/service-shape.js';
import { nodeMetaMatches, tagMatcher } from './select.js';
import { allowsServiceRead, requireCheckWrite, requireServiceWrite } from '../../acl/catalog-access.js';

/** The routes. */
export function catalogRoutes(ctx: HttpContext): Route[] {
  const { catalog } = ctx;
  const indexes = () => catalog.indexes;
  return [
    {
      path: '/v1/catalog/services',
      methods: ['GET'],
      name: 'catalog/services',
      access: { kind: 'checked' },
      handle(req) {
        const filter = filterOf(req);
        return blockingRead(ctx, req, {
          keys: ['services'],
          index: () => indexes().forTable('services'),
          // The cached bytes are the unfiltered answer: only for tokens that may read everything.
          ...(req.acl.readsAll ? { cache: { key: 'catalog/services', contentKey: 'services' } } : {}),
          render() {
            const out: Record<string, string[]> = {};
            if (!nodeMetaMatches(req, catalog.node)) return out;
            const tagSets = new Map<string, Set<string>>();
            for (const s of catalog.instances()) {
              if (filter && !filter(catalogServiceShape(s, catalog.node))) continue;
              if (!req.acl.allows('service', s.name, 'read')) {
                req.aclFiltered();
                continue;
              }
              let tags = tagSets.get(s.name);
              if (!tags) {
                tags = new Set();
                tagSets.set(s.name, tags);
              }
              for (const t of s.tags) tags.add(t);
            }
            for (const [name, tags] of tagSets) out[name] = [...tags];
            return out;
          },
        });
      },
    },
    {
      path: '/v1/catalog/service/',
      methods: ['GET'],
      name: 'catalog/service',
      access: { kind: 'checked' },
      handle(req) {
        const name = req.rest;
        if (name === '') throw badRequest('Missing service name');
        const filter = filterOf(req);
        const tags = tagMatcher(req);
        // node:read and service:read: on one node, all instances or none (so the cache stays valid).
        const visible = allowsServiceRead(req.acl, catalog, name);
        return blockingRead(ctx, req, {
          keys: [serviceKey(name)],
          index: () => indexes().forService(name),
          ...(visible ? { cache: { key: `catalog/service\u0000${name.toLowerCase()}`, contentKey: serviceKey(name) } } : {}),
          render() {
            if (!visible) {
              if (catalog.instancesOf(name).length > 0) req.aclFiltered();
              return [];
            }
            if (!nodeMetaMatches(req, catalog.node)) return [];
            return catalog
              .instancesOf(name)
              .filter(tags)
              .map((s) => catalogServiceShape(s, catalog.node))
              .filter((shape) => !filter || filter(shape));
          },
        });
      },
    },
    {
      path: '/v1/catalog/nodes',
      methods: ['GET'],
      name: 'catalog/nodes',
      access: { kind: 'checked' },
      handle(req) {
        const filter = filterOf(req);
        return blockingRead(ctx, req, {
          keys: ['nodes'],
          index: () => indexes().forTable('nodes'),
          render() {
            if (!req.acl.allows('node', catalog.node.name, 'read')) {
              req.aclFiltered();
              return [];
            }
            const node = nodeShape(catalog.node);
            return nodeMetaMatches(req, catalog.node) && (!filter || filter(node)) ? [node] : [];
          },
        });
      },
    },
    {
      path: '/v1/catalog/node/',
      methods: ['GET'],
      name: 'catalog/node',
      access: { kind: 'checked' },
      handle(req) {
        const name = req.rest;
        if (name === '') throw badRequest('Missing node name');
        const filter = filterOf(req);
        return blockingRead(ctx, req, {
          keys: ['nodes', 'services'],
          index: () => indexes().max('nodes', 'services'),
          render() {
            // Consul answers null for an unknown node.
            if (!isThisNode(name, catalog.node)) return null;
            if (!req.acl.allows('node', catalog.node.name, 'read')) {
              req.aclFiltered();
              return null;
            }
            const services: Record<string, unknown> = {};
            for (const s of catalog.instances()) {
              const shape = nodeServiceShape(s);
              if (filter && !filter(shape)) continue;
              if (req.acl.allows('service', s.name, 'read')) services[s.id] = shape;
              else req.aclFiltered();
            }
            return { Node: nodeShape(catalog.node), Services: services };
          },
        });
      },
    },
    {
      path: '/v1/catalog/register',
      methods: ['PUT'],
      name: 'catalog/register',
      access: { kind: 'checked' },
      async handle(req) {
        checkDatacenter(ctx, req);
        const registration = decodeCatalogRegistration(req.body, catalog.node, {
          nodeAddress: ctx.options.nodeAddress,
          deregisterCriticalMinMs: ctx.options.deregisterCriticalMinMs,
        });
        if (registration.service) {
          req.acl.require('service', registration.service.service.name, 'write');
          requireServiceWrite(req.acl, catalog, registration.service.service.id);
        }
        for (const c of registration.checks) {
          if (c.serviceId === '') req.acl.require('node', catalog.node.name, 'write');
          else requireServiceWrite(req.acl, catalog, c.serviceId);
        }
        return { kind: 'json', body: await ctx.committer.submit(catalogRegister(registration)) };
      },
    },
    {
      path: '/v1/catalog/deregister',
      methods: ['PUT'],
      name: 'catalog/deregister',
      access: { kind: 'checked' },
      async handle(req) {
        checkDatacenter(ctx, req);
        const what = decodeCatalogDeregistration(req.body, catalog.node);
        // node:write on the node allows everything; else service:write on what is removed.
        if (!req.acl.allows('node', catalog.node.name, 'write')) {
          if (what.kind === 'service') requireServiceWrite(req.acl, catalog, what.id);
          else if (what.kind === 'check') requireCheckWrite(req.acl, catalog, what.id);
          else req.acl.require('node', catalog.node.name, 'write');
        }
        return { kind: 'json', body: await ctx.committer.submit(catalogDeregister(what)) };
      },
    },
    {
      path: '/v1/catalog/datacenters',
      methods: ['GET'],
      name: 'catalog/datacenters',
      access: { kind: 'public' },
      handle(req) {
        checkDatacenter(ctx, req);
        return { kind: 'json', body: [ctx.options.datacenter] };
      },
    },
  ];
}
