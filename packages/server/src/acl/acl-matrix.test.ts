/**
 * The authorization matrix: routes × {no token, anonymous with read-all, read `orders*`, write
 * `orders` only, operator, management, unknown token} → status and filtered body, Consul's
 * precedence and texts (spec consul-acl.md §6–§8), blocking queries included. In process
 * (inject); the same server code answers sockets (serve-security.e2e.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAclConfig } from './acl-config.js';
import { closeAll, type TestServer, testServer } from '../testing/test-server.test-helper.js';

const policies = {
  'read-all': {
    service_prefix: { '': { policy: 'read' } },
    node_prefix: { '': { policy: 'read' } },
    agent_prefix: { '': { policy: 'read' } },
  },
  'orders-read': { service_prefix: { orders: { policy: 'read' } }, node_prefix: { '': { policy: 'read' } } },
  'orders-write': { service: { orders: { policy: 'write' } }, node_prefix: { '': { policy: 'read' } } },
  operator: { operator: 'write', agent_prefix: { '': { policy: 'read' } } },
};
const tokens = [
  { secret_id: 'secret-orders-read', policies: ['orders-read'] },
  { secret_id: 'secret-orders-write', policies: ['orders-write'] },
  { secret_id: 'secret-operator', policies: ['operator'] },
  { secret_id: 'secret-management', policies: ['global-management'] },
];

type Who = 'none' | 'anonRead' | 'ordersRead' | 'ordersWrite' | 'operator' | 'management' | 'unknown';
const WHO: Who[] = ['none', 'anonRead', 'ordersRead', 'ordersWrite', 'operator', 'management', 'unknown'];
const SECRET: Record<Who, string | undefined> = {
  none: undefined,
  anonRead: undefined,
  ordersRead: 'secret-orders-read',
  ordersWrite: 'secret-orders-write',
  operator: 'secret-operator',
  management: 'secret-management',
  unknown: 'secret-nobody-has',
};
/** Services each identity may read (all reads here also need node:read, which each of these has or lacks with them). */
const VISIBLE: Record<Who, string[]> = {
  none: [],
  anonRead: ['billing', 'orders', 'orders-v2'],
  ordersRead: ['orders', 'orders-v2'],
  ordersWrite: ['orders'],
  operator: [],
  management: ['billing', 'orders', 'orders-v2'],
  unknown: [],
};

let plain: TestServer;
let anonRead: TestServer;
const serverOf = (who: Who) => (who === 'anonRead' ? anonRead : plain);

/** Sends with the identity's token, alternating the three ways Consul's clients send it. */
let turn = 0;
function req(who: Who, method: string, url: string, body?: unknown) {
  const secret = SECRET[who];
  const way = turn++ % 3;
  if (secret === undefined) return serverOf(who).req(method, url, body);
  if (way === 0) return serverOf(who).req(method, url, body, { 'x-consul-token': secret });
  if (way === 1) return serverOf(who).req(method, url, body, { authorization: `Bearer ${secret}` });
  return serverOf(who).req(method, `${url}${url.includes('?') ? '&' : '?'}token=${secret}`, body);
}

beforeAll(async () => {
  const base = { default_policy: 'deny', policies, tokens };
  plain = testServer({ acl: parseAclConfig(base) });
  anonRead = testServer({ acl: parseAclConfig({ ...base, anonymous_policies: ['read-all'] }) });
  for (const t of [plain, anonRead]) {
    for (const [name, id] of [
      ['orders', 'orders-1'],
      ['orders-v2', 'orders-v2-1'],
      ['billing', 'billing-1'],
    ]) {
      const r = await t.req(
        'PUT',
        '/v1/agent/service/register',
        { ID: id, Name: name, Port: 80, Check: { TTL: '30s', CheckID: `ttl-${id}` } },
        {
          'x-consul-token': 'secret-management',
        },
      );
      expect(r.statusCode).toBe(200);
    }
  }
});
afterAll(closeAll);

const ACL_NOT_FOUND = (who: Who) => who === 'unknown';
const denied = (who: Who, permission: string, name?: string) => {
  const on = name === undefined ? '' : ` on "${name}"`;
  return who === 'none' || who === 'anonRead'
    ? `Permission denied: anonymous token lacks permission '${permission}'${on}. The anonymous token is used implicitly when a request does not specify a token.`
    : new RegExp(
        `^Permission denied: token with AccessorID '[0-9a-f-]{36}' lacks permission '${permission}'${on.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`,
      );
};
const expectDenied = (r: { statusCode: number; body: string }, who: Who, permission: string, name?: string) => {
  expect(r.statusCode).toBe(403);
  if (ACL_NOT_FOUND(who)) expect(r.body).toBe('ACL not found');
  else {
    const want = denied(who, permission, name);
    if (typeof want === 'string') expect(r.body).toBe(want);
    else expect(r.body).toMatch(want);
  }
};

describe.each(WHO)('token: %s', (who) => {
  const visible = VISIBLE[who];
  const filteredHeader = (r: { headers: Record<string, unknown> }, removed: boolean) =>
    expect(r.headers['x-consul-results-filtered-by-acls']).toBe(removed && SECRET[who] !== undefined ? 'true' : undefined);

  it('list reads are filtered (catalog/services, agent/services, agent/checks, health/state), never refused', async () => {
    const services = await req(who, 'GET', '/v1/catalog/services');
    if (ACL_NOT_FOUND(who)) return expect(services.body).toBe('ACL not found');
    expect(services.statusCode).toBe(200);
    expect(Object.keys(services.json()).sort()).toEqual(visible);
    filteredHeader(services, visible.length < 3);
    const agent = await req(who, 'GET', '/v1/agent/services');
    expect(
      Object.values(agent.json() as Record<string, { Service: string }>)
        .map((s) => s.Service)
        .sort(),
    ).toEqual(visible);
    const checks = await req(who, 'GET', '/v1/agent/checks');
    expect(Object.keys(checks.json()).sort()).toEqual(visible.map((s) => `ttl-${s}-1`).sort());
    const state = await req(who, 'GET', '/v1/health/state/any');
    const ids = (state.json() as { CheckID: string }[]).map((c) => c.CheckID).filter((id) => id.startsWith('ttl-'));
    expect(ids.sort()).toEqual(visible.map((s) => `ttl-${s}-1`).sort());
  });

  it.each(['orders', 'orders-v2', 'billing'])('health/service/%s and catalog/service/%s: all or nothing', async (service) => {
    const h = await req(who, 'GET', `/v1/health/service/${service}`);
    if (ACL_NOT_FOUND(who)) return expect(h.statusCode).toBe(403);
    expect(h.statusCode).toBe(200);
    expect(h.json()).toHaveLength(visible.includes(service) ? 1 : 0);
    expect(Number(h.headers['x-consul-index'])).toBeGreaterThan(0);
    filteredHeader(h, !visible.includes(service));
    const c = await req(who, 'GET', `/v1/catalog/service/${service}`);
    expect(c.json()).toHaveLength(visible.includes(service) ? 1 : 0);
  });

  it('single-object reads and agent endpoints are refused with the exact text', async () => {
    const one = await req(who, 'GET', '/v1/agent/service/billing-1');
    if (visible.includes('billing')) expect(one.statusCode).toBe(200);
    else expectDenied(one, who, 'service:read', 'billing');
    const self = await req(who, 'GET', '/v1/agent/self');
    if (['anonRead', 'operator', 'management'].includes(who)) expect(self.statusCode).toBe(200);
    else expectDenied(self, who, 'agent:read', 'node-a');
  });

  it('writes need service:write on the name (node:write for the node)', async () => {
    const orders = await req(who, 'PUT', '/v1/agent/service/register', {
      ID: 'orders-1',
      Name: 'orders',
      Port: 80,
      Check: { TTL: '30s', CheckID: 'ttl-orders-1' },
    });
    if (who === 'ordersWrite' || who === 'management') expect(orders.statusCode).toBe(200);
    else expectDenied(orders, who, 'service:write', 'orders');
    const v2 = await req(who, 'PUT', '/v1/agent/service/register', { Name: 'orders-v2', Port: 81 });
    if (who === 'management') expect(v2.statusCode).toBe(200);
    else expectDenied(v2, who, 'service:write', 'orders-v2');
    const pass = await req(who, 'PUT', '/v1/agent/check/pass/ttl-orders-1');
    if (who === 'ordersWrite' || who === 'management') expect(pass.statusCode).toBe(200);
    else expectDenied(pass, who, 'service:write', 'orders');
    const maintenance = await req(who, 'PUT', '/v1/agent/service/maintenance/billing-1?enable=false');
    if (who === 'management') expect(maintenance.statusCode).toBe(200);
    else expectDenied(maintenance, who, 'service:write', 'billing');
    const node = await req(who, 'PUT', '/v1/agent/maintenance?enable=false');
    if (who === 'management') expect(node.statusCode).toBe(200);
    else expectDenied(node, who, 'node:write', 'node-a');
  });

  it('status is public; acl/token/self answers as Consul 1.15', async () => {
    expect((await req(who, 'GET', '/v1/status/leader')).statusCode).toBe(200);
    const self = await req(who, 'GET', '/v1/acl/token/self');
    if (who === 'unknown') {
      expect(self.statusCode).toBe(404);
      expect(self.body).toBe('Supplied token does not exist');
      return;
    }
    expect(self.statusCode).toBe(200);
    const token = self.json() as { AccessorID: string; SecretID: string; Description: string; Policies?: { Name: string }[] };
    if (SECRET[who] === undefined) {
      expect(token).toMatchObject({
        AccessorID: '00000000-0000-0000-0000-000000000002',
        SecretID: 'anonymous',
        Description: 'Anonymous Token',
      });
    } else {
      expect(token.SecretID).toBe(SECRET[who]);
      expect(token.AccessorID).toMatch(/^[0-9a-f-]{36}$/);
      expect(token.Policies?.length).toBe(1);
    }
  });
});

describe('blocking queries', () => {
  it('a held query wakes on invisible changes with a higher index and the same filtered body', async () => {
    const first = await plain.req('GET', '/v1/health/service/billing', undefined, { 'x-consul-token': 'secret-orders-read' });
    const index = Number(first.headers['x-consul-index']);
    const held = plain.req('GET', `/v1/health/service/billing?index=${index}&wait=5m`, undefined, {
      'x-consul-token': 'secret-orders-read',
    });
    await new Promise((r) => setTimeout(r, 50));
    await plain.req('PUT', '/v1/agent/check/pass/ttl-billing-1', undefined, { 'x-consul-token': 'secret-management' });
    const r = await held;
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual([]);
    expect(Number(r.headers['x-consul-index'])).toBeGreaterThan(index);
    expect(r.headers['x-consul-results-filtered-by-acls']).toBe('true');
  });

  it('an unknown token fails at once, before holding', async () => {
    const r = await plain.req('GET', '/v1/health/service/orders?index=999999&wait=5m', undefined, {
      'x-consul-token': 'secret-nobody-has',
    });
    expect(r.statusCode).toBe(403);
    expect(r.body).toBe('ACL not found');
  });
});
