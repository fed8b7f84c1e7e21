/** `/v1/health/*` (spec §6.16–6.18, §4.6, §4.7). */
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, testServer } from '../../testing/test-server.test-helper.js';

afterEach(closeAll);

type Entry = { Node: Record<string, unknown>; Service: Record<string, unknown>; Checks: Record<string, unknown>[] };

async function seed() {
  const t = testServer({ nodeMeta: { env: 'prod' } });
  await t.req('PUT', '/v1/agent/service/register', {
    Name: 'web',
    ID: 'w1',
    Tags: ['V1', 'primary'],
    Port: 1,
    Check: { TTL: '10s', Status: 'passing' },
  });
  await t.req('PUT', '/v1/agent/service/register', {
    Name: 'web',
    ID: 'w2',
    Tags: ['v2'],
    Port: 2,
    Check: { TTL: '10s', Status: 'warning' },
  });
  await t.req('PUT', '/v1/agent/service/register', { Name: 'web', ID: 'w3', Port: 3, Check: { TTL: '10s' } });
  await t.req('PUT', '/v1/agent/service/register', { Name: 'db', ID: 'd1', Port: 4 });
  return t;
}

describe('GET /v1/health/service/:name', () => {
  it('returns entries with Node, Service and Checks (serfHealth first), case-insensitive name', async () => {
    const t = await seed();
    const entries = await t.get<Entry[]>('/v1/health/service/WEB');
    expect(entries.map((e) => e.Service.ID)).toEqual(['w1', 'w2', 'w3']);
    const e = entries[0]!;
    expect(e.Node).toMatchObject({
      Node: 'node-a',
      Address: '127.0.0.1',
      Datacenter: 'dc1',
      Meta: { env: 'prod', 'consul-network-segment': '' },
    });
    expect(e.Node.TaggedAddresses).toEqual({ lan: '127.0.0.1', wan: '127.0.0.1', lan_ipv4: '127.0.0.1', wan_ipv4: '127.0.0.1' });
    expect(e.Checks.map((c) => c.CheckID)).toEqual(['serfHealth', 'service:w1']);
    expect(e.Checks[0]).toMatchObject({
      Status: 'passing',
      Name: 'Serf Health Status',
      Output: 'Agent alive and reachable',
      ServiceTags: [],
    });
    expect(e.Service).toMatchObject({ ID: 'w1', Service: 'web', Tags: ['V1', 'primary'], Port: 1, Address: '', Meta: {} });
  });

  it('re-encodes only changed entries and answers exactly what rendering gives', async () => {
    const t = await seed();
    const same = async (query = '') => {
      const compact = await t.req('GET', `/v1/health/service/web${query}`);
      const rendered = await t.req('GET', `/v1/health/service/web${query}${query ? '&' : '?'}pretty`);
      expect(compact.body).toBe(JSON.stringify(JSON.parse(rendered.body)));
      return JSON.parse(compact.body) as Entry[];
    };
    await same();
    await t.req('PUT', '/v1/agent/check/pass/service:w1?note=one');
    expect((await same()).find((e) => e.Service.ID === 'w1')!.Checks[1]!.Output).toBe('one');
    await t.req('PUT', '/v1/agent/check/fail/service:w2');
    expect((await same()).find((e) => e.Service.ID === 'w2')!.Checks[1]!.Status).toBe('critical');
    await t.req('PUT', '/v1/agent/service/register', { Name: 'web', ID: 'w3', Port: 33, Tags: ['x'] });
    expect((await same()).find((e) => e.Service.ID === 'w3')!.Service.Port).toBe(33);
    await t.req('PUT', '/v1/agent/maintenance?enable=true&reason=r');
    expect((await same()).every((e) => e.Checks.some((c) => c.CheckID === '_node_maintenance'))).toBe(true);
    expect(await same('?passing')).toEqual([]);
    await t.req('PUT', '/v1/agent/maintenance?enable=false');
    await t.req('PUT', '/v1/agent/service/deregister/w2');
    expect((await same()).map((e) => e.Service.ID)).toEqual(['w1', 'w3']);
    expect((await same('?tag=x')).map((e) => e.Service.ID)).toEqual(['w3']);
  });

  it('?passing keeps only entries whose every check passes; accepts 1, true, empty; refuses others', async () => {
    const t = await seed();
    for (const q of ['passing', 'passing=1', 'passing=true', 'passing=True']) {
      expect((await t.get<Entry[]>(`/v1/health/service/web?${q}`)).map((e) => e.Service.ID)).toEqual(['w1']);
    }
    expect((await t.get<Entry[]>('/v1/health/service/web?passing=false')).length).toBe(3);
    const bad = await t.req('GET', '/v1/health/service/web?passing=yes');
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toBe('Invalid value for ?passing');
    expect((await t.get<Entry[]>('/v1/health/service/db?passing')).length).toBe(1);
  });

  it('node maintenance fails every instance for ?passing and moves every service index', async () => {
    const t = await seed();
    const before = Number((await t.req('GET', '/v1/health/service/db')).headers['x-consul-index']);
    expect((await t.req('PUT', '/v1/agent/maintenance?enable=true&reason=patching')).statusCode).toBe(200);
    const r = await t.req('GET', '/v1/health/service/db?passing');
    expect(r.json()).toEqual([]);
    expect(Number(r.headers['x-consul-index'])).toBeGreaterThan(before);
    const all = await t.get<Entry[]>('/v1/health/service/db');
    expect(all[0]!.Checks.map((c) => c.CheckID)).toEqual(['_node_maintenance', 'serfHealth']);
    expect(all[0]!.Checks[0]).toMatchObject({ Status: 'critical', Notes: 'patching', Name: 'Node Maintenance Mode' });
    await t.req('PUT', '/v1/agent/maintenance?enable=false');
    expect((await t.get<Entry[]>('/v1/health/service/db?passing')).length).toBe(1);
  });

  it('?tag (repeatable, AND, case-insensitive), ?node-meta, ?filter', async () => {
    const t = await seed();
    const ids = async (q: string) => (await t.get<Entry[]>(`/v1/health/service/web?${q}`)).map((e) => e.Service.ID);
    expect(await ids('tag=v1')).toEqual(['w1']);
    expect(await ids('tag=v1&tag=PRIMARY')).toEqual(['w1']);
    expect(await ids('tag=v1&tag=v2')).toEqual([]);
    expect(await ids('node-meta=env:prod')).toEqual(['w1', 'w2', 'w3']);
    expect(await ids('node-meta=env:dev')).toEqual([]);
    expect(await ids(`filter=${encodeURIComponent('Service.Port > 1')}`).catch((e: Error) => e.message)).toMatch(/400/);
    expect(await ids(`filter=${encodeURIComponent('Service.Port == 2 or Checks.Status == critical')}`)).toEqual(['w2', 'w3']);
    expect(await ids(`filter=${encodeURIComponent('Node.Meta.env == prod and "v2" in Service.Tags')}`)).toEqual(['w2']);
  });

  it('returns [] (not 404) for an unknown service, with an index', async () => {
    const t = await seed();
    const r = await t.req('GET', '/v1/health/service/nope');
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual([]);
    expect(Number(r.headers['x-consul-index'])).toBeGreaterThanOrEqual(1);
  });
});

describe('health checks, state, node', () => {
  it('/v1/health/checks/:service lists the service checks only', async () => {
    const t = await seed();
    const checks = await t.get<Record<string, unknown>[]>('/v1/health/checks/web');
    expect(checks.map((c) => c.CheckID)).toEqual(['service:w1', 'service:w2', 'service:w3']);
    expect(await t.get('/v1/health/checks/nope')).toEqual([]);
  });

  it('/v1/health/state/:state filters by status, any lists all, unknown states match nothing', async () => {
    const t = await seed();
    const ids = async (s: string) => (await t.get<Record<string, unknown>[]>(`/v1/health/state/${s}`)).map((c) => c.CheckID);
    expect(await ids('passing')).toEqual(['serfHealth', 'service:w1']);
    expect(await ids('warning')).toEqual(['service:w2']);
    expect(await ids('critical')).toEqual(['service:w3']);
    expect((await ids('any')).length).toBe(4);
    expect(await ids('unknown')).toEqual([]);
    expect((await t.req('GET', '/v1/health/state/')).body).toBe('Missing check state');
  });

  it('/v1/health/node/:node lists every check of this node; other nodes are empty', async () => {
    const t = await seed();
    expect((await t.get<unknown[]>('/v1/health/node/node-a')).length).toBe(4);
    expect(await t.get('/v1/health/node/other')).toEqual([]);
    expect((await t.req('GET', '/v1/health/node/')).body).toBe('Missing node name');
  });
});
