/** `/v1/catalog/*` (spec §6.12–6.14) and agent self/members/status (§6.10, §6.11, §6.19). */
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, testServer } from '../../testing/test-server.test-helper.js';

afterEach(closeAll);

async function seed() {
  const t = testServer();
  await t.req('PUT', '/v1/agent/service/register', { Name: 'web', ID: 'w1', Tags: ['v1'], Port: 1, Meta: { version: '1' } });
  await t.req('PUT', '/v1/agent/service/register', { Name: 'web', ID: 'w2', Tags: ['v2', 'v1'], Port: 2 });
  await t.req('PUT', '/v1/agent/service/register', { Name: 'db', ID: 'd1', Port: 3 });
  return t;
}

describe('catalog', () => {
  it('/v1/catalog/services maps names to distinct tags; a name goes with its last instance', async () => {
    const t = await seed();
    expect(await t.get('/v1/catalog/services')).toEqual({ web: ['v1', 'v2'], db: [] });
    await t.req('PUT', '/v1/agent/service/deregister/d1');
    expect(await t.get('/v1/catalog/services')).toEqual({ web: ['v1', 'v2'] });
    expect(await t.get('/v1/catalog/services?node-meta=env:prod')).toEqual({});
    expect(await t.get(`/v1/catalog/services?filter=${encodeURIComponent('ServiceMeta.version == "1"')}`)).toEqual({ web: ['v1'] });
  });

  it('/v1/catalog/service/:name lists CatalogService items, independent of health', async () => {
    const t = await seed();
    const items = await t.get<Record<string, unknown>[]>('/v1/catalog/service/web?tag=V1');
    expect(items.map((i) => i.ServiceID)).toEqual(['w1', 'w2']);
    expect(items[0]).toMatchObject({
      Node: 'node-a',
      Address: '127.0.0.1',
      Datacenter: 'dc1',
      ServiceKind: '',
      ServiceName: 'web',
      ServiceTags: ['v1'],
      ServiceAddress: '',
      ServicePort: 1,
      ServiceWeights: { Passing: 1, Warning: 1 },
      ServiceMeta: { version: '1' },
      ServiceEnableTagOverride: false,
    });
    expect(await t.get('/v1/catalog/service/web?tag=v1&tag=v2')).toHaveLength(1);
    expect(await t.get('/v1/catalog/service/nope')).toEqual([]);
  });

  it('/v1/catalog/nodes and /v1/catalog/node/:node', async () => {
    const t = await seed();
    const nodes = await t.get<Record<string, unknown>[]>('/v1/catalog/nodes');
    expect(nodes).toHaveLength(1);
    expect(nodes[0]).toMatchObject({ Node: 'node-a', Datacenter: 'dc1' });
    const node = await t.get<{ Node: Record<string, unknown>; Services: Record<string, unknown> }>('/v1/catalog/node/NODE-A');
    expect(Object.keys(node.Services)).toEqual(['w1', 'w2', 'd1']);
    expect(node.Services.w1).toMatchObject({ ID: 'w1', Service: 'web', CreateIndex: expect.any(Number) });
    expect(await t.get('/v1/catalog/node/other')).toBeNull();
    expect(await t.get('/v1/catalog/datacenters')).toEqual(['dc1']);
  });
});

describe('agent self, members, status', () => {
  it('/v1/agent/self: every top-level value an object or null; Config has string Datacenter and NodeName', async () => {
    const t = testServer();
    const self = await t.get<Record<string, unknown>>('/v1/agent/self');
    for (const value of Object.values(self)) expect(value === null || (typeof value === 'object' && !Array.isArray(value))).toBe(true);
    expect(self.Config).toMatchObject({ Datacenter: 'dc1', NodeName: 'node-a', Server: true, Version: expect.stringMatching(/^1\./) });
    const members = await t.get<Record<string, unknown>[]>('/v1/agent/members');
    expect(members[0]).toMatchObject({ Name: 'node-a', Status: 1 });
  });

  it('keeps the node ID across restarts', async () => {
    const t = testServer();
    const id = (await t.get<{ Config: { NodeID: string } }>('/v1/agent/self')).Config.NodeID;
    await t.close();
    const again = t.reopen();
    expect((await again.get<{ Config: { NodeID: string } }>('/v1/agent/self')).Config.NodeID).toBe(id);
  });
});

describe('catalog writes', () => {
  it('registers a service with static checks on this node (python-consul lower-case keys) and answers true', async () => {
    const t = testServer();
    const body =
      '{"node": "node-a", "address": "127.0.0.1", "service": {"service": "db", "id": "db-1", "port": 5432, "tags": ["x"]}, "check": {"checkid": "db-ok", "name": "db ok", "status": "passing", "serviceid": "db-1"}}';
    const r = await t.req('PUT', '/v1/catalog/register', body);
    expect(r.statusCode).toBe(200);
    expect(r.body).toBe('true');
    const entries =
      await t.get<{ Service: { ID: string; Port: number }; Checks: { CheckID: string; Status: string }[] }[]>(
        '/v1/health/service/db?passing',
      );
    expect(entries.map((e) => [e.Service.ID, e.Service.Port])).toEqual([['db-1', 5432]]);
    expect(entries[0]!.Checks.map((c) => c.CheckID)).toEqual(['serfHealth', 'db-ok']);
    expect(
      (
        await t.req('PUT', '/v1/catalog/register', {
          Node: 'node-a',
          Address: '127.0.0.1',
          Check: { CheckID: 'n', Name: 'node', Status: 'warning' },
        })
      ).statusCode,
    ).toBe(200);
    expect((await t.get<unknown[]>('/v1/health/state/warning')).length).toBe(1);
  });

  it.each([
    [{ Address: '127.0.0.1' }, 'Must provide node'],
    [{ Node: 'node-a' }, 'Must provide address if SkipNodeUpdate is not set'],
    [{ Node: 'other', Address: '10.0.0.1' }, 'Unknown node "other": roster serve has one node, "node-a"'],
    [{ Node: 'node-a', Address: '127.0.0.1', Service: { Service: '' } }, 'Missing service name'],
    [{ Node: 'node-a', Address: '127.0.0.1', Check: { Name: 'c', Status: 'bad' } }, "Invalid check status: 'bad'"],
  ])('refuses %j: %s', async (body, message) => {
    const t = testServer();
    const r = await t.req('PUT', '/v1/catalog/register', body);
    expect(r.statusCode).toBe(400);
    expect(r.body).toBe(message);
  });

  it('deregisters a service, a check, or everything on the node', async () => {
    const t = testServer();
    await t.req('PUT', '/v1/agent/service/register', { Name: 'web', ID: 'w1', Check: { TTL: '10s' } });
    await t.req('PUT', '/v1/agent/service/register', { Name: 'web', ID: 'w2' });
    await t.req('PUT', '/v1/agent/check/register', { Name: 'disk', TTL: '10s' });
    expect((await t.req('PUT', '/v1/catalog/deregister', { Node: 'node-a', CheckID: 'disk' })).body).toBe('true');
    expect((await t.req('PUT', '/v1/catalog/deregister', { Node: 'node-a', ServiceID: 'w1' })).body).toBe('true');
    expect(Object.keys(await t.get('/v1/agent/services'))).toEqual(['w2']);
    expect((await t.req('PUT', '/v1/catalog/deregister', { Node: 'node-a', ServiceID: 'nope' })).statusCode).toBe(200);
    await t.req('PUT', '/v1/catalog/deregister', { Node: 'node-a' });
    expect(await t.get('/v1/agent/services')).toEqual({});
    expect((await t.get<unknown[]>('/v1/health/node/node-a')).length).toBe(1);
  });
});
