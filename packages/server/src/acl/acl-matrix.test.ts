/**
 * The authorization matrix: routes × {no token, anonymous with read-all, read `orders*`, write
 * `orders` only, operator, management, unknown token} → status and filtered body, Consul's
 * precedence and texts (spec consul-acl.md §6–§8), blocking queries and the event stream
 * included. In process (inject), except the event stream, read over real sockets; the same
 * server code answers sockets (serve-security.e2e.test.ts).
 */
import http from 'node:http';
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

  it('a held blocking query (health/service/orders, agent/services) answers filtered when it wakes', async () => {
    const first = await req(who, 'GET', '/v1/health/service/orders');
    if (ACL_NOT_FOUND(who)) return expect(first.statusCode).toBe(403);
    const index = Number(first.headers['x-consul-index']);
    const held = req(who, 'GET', `/v1/health/service/orders?index=${index}&wait=5m`);
    const agentFirst = await req(who, 'GET', '/v1/agent/services');
    const agentHeld = req(who, 'GET', `/v1/agent/services?index=${agentFirst.headers['x-consul-index']}&wait=5m`);
    await new Promise((r) => setTimeout(r, 20));
    const mgmt = { 'x-consul-token': 'secret-management' };
    const flip = (await serverOf(who).req('GET', '/v1/agent/checks', undefined, mgmt)).json() as Record<string, { Status: string }>;
    const verb = flip['ttl-orders-1']?.Status === 'critical' ? 'pass' : 'fail';
    expect((await serverOf(who).req('PUT', `/v1/agent/check/${verb}/ttl-orders-1`, undefined, mgmt)).statusCode).toBe(200);
    const r = await held;
    expect(r.statusCode).toBe(200);
    expect(Number(r.headers['x-consul-index'])).toBeGreaterThan(index);
    expect(r.json()).toHaveLength(VISIBLE[who].includes('orders') ? 1 : 0);
    const a = await agentHeld;
    expect([...new Set(Object.values(a.json() as Record<string, { Service: string }>).map((x) => x.Service))].sort()).toEqual(visible);
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

describe('the event stream (GET /v1/roster/events) over real sockets', () => {
  /** Opens the stream with the identity's token (header, Bearer or ?token=, by turn); resolves with status and the whole body once it ends. */
  function openStream(port: number, who: Who, way: number): { head: Promise<number>; body: Promise<string> } {
    const secret = SECRET[who];
    const headers: Record<string, string> = {};
    let path = '/v1/roster/events';
    if (secret !== undefined && way % 3 === 0) headers['x-consul-token'] = secret;
    if (secret !== undefined && way % 3 === 1) headers.authorization = `Bearer ${secret}`;
    if (secret !== undefined && way % 3 === 2) path += `?token=${secret}`;
    let resolveHead!: (status: number) => void;
    const head = new Promise<number>((r) => (resolveHead = r));
    const body = new Promise<string>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
        resolveHead(res.statusCode ?? 0);
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve(text));
        res.on('error', () => resolve(text));
      });
      req.on('error', reject);
    });
    return { head, body };
  }

  /** The services named by the stream's events, in order. */
  const servicesOf = (sse: string) =>
    sse
      .split('\n\n')
      .filter((block) => block.startsWith('id: '))
      .map((block) => {
        const data = JSON.parse(/^data: (.*)$/m.exec(block)![1]!) as { type: string; service?: string; instance?: { service: string } };
        return data.type === 'register' ? data.instance!.service : data.service!;
      });

  it('each identity receives only the events of services it may read; an unknown token gets 403 ACL not found', async () => {
    const base = { default_policy: 'deny', policies, tokens };
    const servers = {
      plain: testServer({ acl: parseAclConfig(base) }),
      anonRead: testServer({ acl: parseAclConfig({ ...base, anonymous_policies: ['read-all'] }) }),
    };
    const mgmt = { 'x-consul-token': 'secret-management' };
    const streams = new Map<Who, { head: Promise<number>; body: Promise<string> }>();
    for (const [name, t] of Object.entries(servers)) {
      const { port } = await t.server.listen();
      for (const [i, who] of WHO.entries()) {
        if ((who === 'anonRead') !== (name === 'anonRead')) continue;
        streams.set(who, openStream(port, who, i));
      }
    }
    for (const who of WHO) expect(await streams.get(who)!.head, who).toBe(who === 'unknown' ? 403 : 200);
    // The same changes on both servers: a register, health changes, a deregister, across the three services.
    for (const t of Object.values(servers)) {
      const put = async (url: string, body?: unknown) => expect((await t.req('PUT', url, body, mgmt)).statusCode).toBe(200);
      await put('/v1/agent/service/register', { ID: 'orders-1', Name: 'orders', Port: 80, Check: { TTL: '30s', CheckID: 'ttl-orders-1' } });
      await put('/v1/agent/service/register', {
        ID: 'orders-v2-1',
        Name: 'orders-v2',
        Port: 80,
        Check: { TTL: '30s', CheckID: 'ttl-orders-v2-1' },
      });
      await put('/v1/agent/service/register', {
        ID: 'billing-1',
        Name: 'billing',
        Port: 80,
        Check: { TTL: '30s', CheckID: 'ttl-billing-1' },
      });
      await put('/v1/agent/check/pass/ttl-orders-1');
      await put('/v1/agent/check/pass/ttl-billing-1');
      await put('/v1/agent/check/pass/ttl-orders-v2-1');
      await put('/v1/agent/service/deregister/billing-1');
      await put('/v1/agent/service/deregister/orders-v2-1');
    }
    // Shutting the servers down ends every stream: each body is then complete.
    await servers.plain.close();
    await servers.anonRead.close();
    const all = ['orders', 'orders-v2', 'billing', 'orders', 'billing', 'orders-v2', 'billing', 'orders-v2'];
    for (const who of WHO) {
      const body = await streams.get(who)!.body;
      if (who === 'unknown') {
        expect(body).toBe('ACL not found');
        continue;
      }
      expect(servicesOf(body), who).toEqual(all.filter((s) => VISIBLE[who].includes(s)));
      // Nothing of an invisible service leaks, not even in another event's data.
      for (const hidden of ['billing', 'orders-v2'].filter((x) => !VISIBLE[who].includes(x)))
        expect(body, who).not.toContain(`"${hidden}"`);
    }
  });
});
