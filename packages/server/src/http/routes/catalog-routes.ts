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

/** The routes. */
export function catalogRoutes(ctx: HttpContext): Route[] {
  const { catalog } = ctx;
  const indexes = () => catalog.indexes;
  return [
    {
      path: '/v1/catalog/services',
      methods: ['GET'],
      name: 'catalog/services',
      filtered: {},
      handle(req) {
        const filter = filterOf(req);
        return blockingRead(ctx, req, {
          keys: ['services'],
          index: () => indexes().forTable('services'),
          cache: { key: 'catalog/services', contentKey: 'services' },
          render() {
            const out: Record<string, string[]> = {};
            if (!nodeMetaMatches(req, catalog.node)) return out;
            const tagSets = new Map<string, Set<string>>();
            for (const s of catalog.instances()) {
              if (filter && !filter(catalogServiceShape(s, catalog.node))) continue;
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
      handle(req) {
        const name = req.rest;
        if (name === '') throw badRequest('Missing service name');
        const filter = filterOf(req);
        const tags = tagMatcher(req);
        return blockingRead(ctx, req, {
          keys: [serviceKey(name)],
          index: () => indexes().forService(name),
          cache: { key: `catalog/service\u0000${name.toLowerCase()}`, contentKey: serviceKey(name) },
          render() {
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
      handle(req) {
        const filter = filterOf(req);
        return blockingRead(ctx, req, {
          keys: ['nodes'],
          index: () => indexes().forTable('nodes'),
          render() {
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
      filtered: null,
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
            const services: Record<string, unknown> = {};
            for (const s of catalog.instances()) {
              const shape = nodeServiceShape(s);
              if (!filter || filter(shape)) services[s.id] = shape;
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
      async handle(req) {
        checkDatacenter(ctx, req);
        const registration = decodeCatalogRegistration(req.body, catalog.node, {
          nodeAddress: ctx.options.nodeAddress,
          deregisterCriticalMinMs: ctx.options.deregisterCriticalMinMs,
        });
        return { kind: 'json', body: await ctx.committer.submit(catalogRegister(registration)) };
      },
    },
    {
      path: '/v1/catalog/deregister',
      methods: ['PUT'],
      name: 'catalog/deregister',
      async handle(req) {
        checkDatacenter(ctx, req);
        const what = decodeCatalogDeregistration(req.body, catalog.node);
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
