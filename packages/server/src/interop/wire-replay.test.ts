/**
 * Replays the exact requests of clients we cannot run here (Prometheus v2.42 Consul SD, the Go
 * `consul/api` of the seed code) and decodes the answers as strictly as the Go client does
 * (testing/go-decode: every JSON type Go checks, valid durations inside `Definition`), plus what
 * Go would let through silently: an unknown or misspelt field fails the test.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  GoAgentService,
  GoAgentSelf,
  GoCatalogService,
  GoCatalogServices,
  goDecode,
  GoHealthCheck,
  GoList,
  GoMap,
  GoNode,
  GoServiceEntry,
} from '../testing/go-decode.test-helper.js';
import { type HttpGet, PrometheusConsulSd } from '../testing/prometheus-consul-sd.test-helper.js';
import { closeAll, type TestServer, testServer } from '../testing/test-server.test-helper.js';

afterEach(closeAll);

/** A GET through the in-process server (the fake clock drives blocking-query waits). */
const getter =
  (t: TestServer): HttpGet =>
  async (url) => {
    const r = await t.req('GET', url);
    return { status: r.statusCode, headers: r.headers, body: r.body };
  };

/** Lets a held request reach its hold before the test changes something. */
const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 20));

/**
 * The node labels every target on the test node carries. Node meta `consul-network-segment` is
 * `""` (as a real agent reports it): Prometheus drops empty labels.
 */
const NODE_LABELS: Readonly<Record<string, string>> = {
  __meta_consul_address: '127.0.0.1',
  __meta_consul_node: 'node-a',
  __meta_consul_metadata_rack: 'r1',
  __meta_consul_metadata_zone_name: 'z-1',
  __meta_consul_tagged_address_lan: '127.0.0.1',
  __meta_consul_tagged_address_lan_ipv4: '127.0.0.1',
  __meta_consul_tagged_address_wan: '127.0.0.1',
  __meta_consul_tagged_address_wan_ipv4: '127.0.0.1',
};
const nodeLabels = () => ({ ...NODE_LABELS });

describe('the strict Go decoder', () => {
  it('fails on what Go fails on, and on unknown fields', () => {
    const entry = {
      Node: { Node: 'n', Address: 'a', TaggedAddresses: { lan: { Address: 'a', Port: 1 } }, CreateIndex: -1 },
      Service: { ID: 's', Service: 's', Port: '80', Tags: 'a', Adress: 'x', Weights: { Passing: 1.5, Warning: 1 } },
      Checks: [{ CheckID: 'c', Status: 'passing', Definition: { Interval: '', Timeout: null, DeregisterCriticalServiceAfter: 'soon' } }],
    };
    expect(goDecode([entry], GoList(GoServiceEntry))).toEqual([
      '[0].Node.TaggedAddresses["lan"]: cannot unmarshal object into string',
      '[0].Node.CreateIndex: cannot unmarshal number into uint64',
      '[0].Service.Port: cannot unmarshal string into int',
      '[0].Service.Tags: cannot unmarshal string into slice',
      '[0].Service.Adress: unknown field of api.AgentService',
      '[0].Service.Weights.Passing: cannot unmarshal number into int',
      '[0].Checks[0].Definition.Interval: invalid api.ReadableDuration ""',
      '[0].Checks[0].Definition.Timeout: invalid api.ReadableDuration null',
      '[0].Checks[0].Definition.DeregisterCriticalServiceAfter: invalid api.ReadableDuration "soon"',
    ]);
    expect(goDecode({ Config: 'x' }, GoAgentSelf)).toEqual(['["Config"]: cannot unmarshal string into map']);
    expect(goDecode({ web: [1] }, GoCatalogServices)).toEqual(['["web"][0]: cannot unmarshal number into string']);
    // Go leaves zero values for null (no error), except in the durations of a Definition.
    expect(goDecode({ Node: null, Service: { Tags: null, Meta: null }, Checks: null }, GoServiceEntry)).toEqual([]);
  });
});

describe('Prometheus v2.42 consul_sd_configs', () => {
  const server = () => testServer({ nodeMeta: { rack: 'r1', 'zone-name': 'z-1' } });

  it('discovers through agent/self, catalog/services and health/service with stale, wait and index', async () => {
    const t = server();
    const sd = new PrometheusConsulSd(getter(t));
    await sd.initialize();
    expect(sd.datacenter).toBe('dc1');
    // Catalog loop, first call: no index; nothing registered → one empty group.
    expect(await sd.catalogRound()).toBe(true);
    expect(sd.updates).toEqual([[{ source: '', labels: {}, targets: [] }]]);
    // A target appears while Prometheus blocks on the catalog.
    const round = sd.catalogRound();
    await settle();
    await t.req('PUT', '/v1/agent/service/register', {
      Name: 'web',
      ID: 'web-1',
      Address: '10.0.0.5',
      Port: 9100,
      Tags: ['prod', 'v1'],
      Meta: { team: 'a', 'build-id': '42' },
      TaggedAddresses: { lan: { Address: '10.0.0.5', Port: 9100 } },
      Check: { HTTP: 'http://10.0.0.5:9100/', Interval: '15s', Timeout: '2s', DeregisterCriticalServiceAfter: '90m' },
    });
    expect(await round).toBe(true);
    expect([...sd.watched]).toEqual(['web']);
    // Per-service loop: no `passing`; the entry decodes as Go decodes it.
    expect(await sd.serviceRound('web')).toBe(true);
    const [catalogIndex, i1, i2] = sd.requests.slice(1).map((u) => /index=(\d+)/.exec(u)?.[1]);
    expect(sd.requests).toEqual([
      '/v1/agent/self',
      '/v1/catalog/services?stale=&wait=120000ms',
      `/v1/catalog/services?index=${i1}&stale=&wait=120000ms`,
      '/v1/health/service/web?stale=&wait=120000ms',
    ]);
    expect(catalogIndex).toBeUndefined();
    expect(i2).toBeUndefined();
    expect(sd.problems).toEqual([]);
    expect(sd.latest('web')).toEqual({
      source: 'web',
      labels: { __meta_consul_service: 'web', __meta_consul_dc: 'dc1' },
      targets: [
        {
          __address__: '10.0.0.5:9100',
          ...nodeLabels(),
          __meta_consul_tags: ',prod,v1,',
          __meta_consul_service_address: '10.0.0.5',
          __meta_consul_service_port: '9100',
          __meta_consul_service_id: 'web-1',
          // A fresh HTTP check is critical until its first probe (spec §4.4).
          __meta_consul_health: 'critical',
          __meta_consul_service_metadata_team: 'a',
          __meta_consul_service_metadata_build_id: '42',
        },
      ],
    });
  });

  it('computes targets and health labels as Prometheus does (node address fallback, IPv6, maintenance)', async () => {
    const t = server();
    const reg = (body: object) => t.req('PUT', '/v1/agent/service/register', body);
    await reg({ Name: 'api', ID: 'api-1', Port: 8080, Check: { TTL: '30s', Status: 'passing' } });
    await reg({ Name: 'api', ID: 'api-2', Address: 'fd00::7', Port: 8081, Tags: ['canary'], Checks: [{ TTL: '30s', Status: 'warning' }] });
    await reg({ Name: 'api', ID: 'api-3', Address: 'api3.internal', Port: 8082, Check: { TTL: '30s', Status: 'passing' } });
    await t.req('PUT', '/v1/agent/service/maintenance/api-3?enable=true&reason=deploy');
    const sd = new PrometheusConsulSd(getter(t), { datacenter: 'dc1' });
    await sd.initialize();
    await sd.catalogRound();
    await sd.serviceRound('api');
    // A configured datacenter skips agent/self and goes on every request as dc=.
    expect(sd.requests).toEqual(['/v1/catalog/services?dc=dc1&stale=&wait=120000ms', '/v1/health/service/api?dc=dc1&stale=&wait=120000ms']);
    expect(sd.problems).toEqual([]);
    const targets = sd.latest('api')!.targets;
    const common = nodeLabels();
    expect(targets).toEqual([
      {
        __address__: '127.0.0.1:8080',
        ...common,
        __meta_consul_tags: ',,',
        __meta_consul_service_port: '8080',
        __meta_consul_service_id: 'api-1',
        __meta_consul_health: 'passing',
      },
      {
        __address__: '[fd00::7]:8081',
        ...common,
        __meta_consul_tags: ',canary,',
        __meta_consul_service_address: 'fd00::7',
        __meta_consul_service_port: '8081',
        __meta_consul_service_id: 'api-2',
        __meta_consul_health: 'warning',
      },
      {
        __address__: 'api3.internal:8082',
        ...common,
        __meta_consul_tags: ',,',
        __meta_consul_service_address: 'api3.internal',
        __meta_consul_service_port: '8082',
        __meta_consul_service_id: 'api-3',
        __meta_consul_health: 'maintenance',
      },
    ]);
  });

  it('an index that does not move produces no update: wait timeouts, heartbeats that keep the status', async () => {
    const t = server();
    // A TTL longer than the waits below: its expiry would be a real status change.
    await t.req('PUT', '/v1/agent/service/register', { Name: 'job', ID: 'job-1', Port: 9000, Check: { TTL: '1h' } });
    await t.req('PUT', '/v1/agent/check/pass/service:job-1');
    const sd = new PrometheusConsulSd(getter(t));
    await sd.initialize();
    await sd.catalogRound();
    await sd.serviceRound('job');
    const updates = sd.updates.length;
    // Nothing changes: the held queries answer after wait (120 s) + jitter (< 7.5 s) with the same index.
    const catalog = sd.catalogRound();
    const service = sd.serviceRound('job');
    await settle();
    // A heartbeat that keeps the check passing writes nothing and moves no index.
    expect((await t.req('PUT', '/v1/agent/check/pass/service:job-1?note=still+fine')).statusCode).toBe(200);
    await settle();
    await t.clock.advance(127_500);
    expect(await catalog).toBe(false);
    expect(await service).toBe(false);
    expect(sd.updates).toHaveLength(updates);
    // A status change moves the service's index (not the catalog's): one update with the new health.
    const next = sd.serviceRound('job');
    await settle();
    await t.req('PUT', '/v1/agent/check/fail/service:job-1');
    expect(await next).toBe(true);
    expect(sd.updates).toHaveLength(updates + 1);
    expect(sd.latest('job')!.targets[0]!.__meta_consul_health).toBe('critical');
    const catalogAgain = sd.catalogRound();
    await settle();
    await t.clock.advance(127_500);
    expect(await catalogAgain).toBe(false);
    expect(sd.problems).toEqual([]);
  });

  it('watches only services with all configured tags, passes them as tag=, drops vanished services', async () => {
    const t = server();
    await t.req('PUT', '/v1/agent/service/register', { Name: 'web', ID: 'web-1', Port: 1, Tags: ['prod', 'http'] });
    await t.req('PUT', '/v1/agent/service/register', { Name: 'web', ID: 'web-2', Port: 2, Tags: ['staging', 'http'] });
    await t.req('PUT', '/v1/agent/service/register', { Name: 'db', ID: 'db-1', Port: 3, Tags: ['http'] });
    const sd = new PrometheusConsulSd(getter(t), { tags: ['prod', 'http'], tagSeparator: ';' });
    await sd.initialize();
    await sd.catalogRound();
    expect([...sd.watched]).toEqual(['web']);
    await sd.serviceRound('web');
    expect(sd.requests.at(-1)).toBe('/v1/health/service/web?stale=&tag=prod&tag=http&wait=120000ms');
    expect(sd.latest('web')!.targets.map((l) => [l.__meta_consul_service_id, l.__meta_consul_tags])).toEqual([['web-1', ';prod;http;']]);
    // The service disappears: its watcher stops with an empty group; nothing left → one empty group.
    await t.req('PUT', '/v1/agent/service/deregister/web-1');
    await t.req('PUT', '/v1/agent/service/deregister/web-2');
    expect(await sd.catalogRound()).toBe(true);
    expect(sd.updates.at(-2)).toEqual([{ source: 'web', labels: {}, targets: [] }]);
    expect(sd.updates.at(-1)).toEqual([{ source: '', labels: {}, targets: [] }]);
    expect(sd.problems).toEqual([]);
  });

  it('sends node_meta as node-meta=key:value; a node that does not match yields nothing', async () => {
    const t = server();
    await t.req('PUT', '/v1/agent/service/register', { Name: 'web', ID: 'web-1', Port: 1 });
    const match = new PrometheusConsulSd(getter(t), { nodeMeta: { rack: 'r1' } });
    await match.initialize();
    await match.catalogRound();
    await match.serviceRound('web');
    expect(match.requests.slice(1)).toEqual([
      '/v1/catalog/services?node-meta=rack%3Ar1&stale=&wait=120000ms',
      '/v1/health/service/web?node-meta=rack%3Ar1&stale=&wait=120000ms',
    ]);
    expect(match.latest('web')!.targets).toHaveLength(1);
    const other = new PrometheusConsulSd(getter(t), { nodeMeta: { rack: 'r2' } });
    await other.initialize();
    await other.catalogRound();
    expect(other.watched.size).toBe(0);
    expect(other.updates).toEqual([[{ source: '', labels: {}, targets: [] }]]);
    const direct = await t.req('GET', '/v1/health/service/web?node-meta=rack%3Ar2&stale=&wait=120000ms');
    expect(direct.json()).toEqual([]);
  });
});

describe('Go consul/api (seed code)', () => {
  let target: Server;
  let port = 0;
  beforeAll(async () => {
    target = createHttpServer((_req, res) => res.end('ok'));
    // Dual-stack: the seed's check URL says `localhost`, which may resolve to ::1 or 127.0.0.1.
    await new Promise<void>((resolve) => target.listen(0, resolve));
    port = (target.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => target.close(() => resolve())));

  it('ServiceRegister → 200; Health().Service(name, "", true, nil) → passing=1; ServiceDeregister', async () => {
    const t = testServer();
    // The JSON Go's encoder sends for the seed's registration (struct order, omitempty, newline).
    const body = `{"ID":"my-service-1","Name":"my-service","Port":8080,"Address":"localhost","Check":{"Interval":"10s","Timeout":"3s","HTTP":"http://localhost:${port}/health"},"Checks":null}\n`;
    const reg = await t.req('PUT', '/v1/agent/service/register', body, { 'content-type': 'application/json' });
    expect(reg.statusCode).toBe(200);
    expect(reg.body).toBe('');
    // As on real Consul, a fresh HTTP check is critical until its first probe: ?passing is empty.
    const empty = await t.req('GET', '/v1/health/service/my-service?passing=1');
    expect(empty.statusCode).toBe(200);
    expect(empty.json()).toEqual([]);
    expect(Number(empty.headers['x-consul-index'])).toBeGreaterThanOrEqual(1);
    await t.server.runCheck('service:my-service-1');
    await settle();
    const r = await t.req('GET', '/v1/health/service/my-service?passing=1');
    const entries = r.json() as { Service: { Service: string; Address: string; Port: number } }[];
    expect(goDecode(entries, GoList(GoServiceEntry))).toEqual([]);
    // What the seed prints.
    expect(entries.map((e) => [e.Service.Service, e.Service.Address, e.Service.Port])).toEqual([['my-service', 'localhost', 8080]]);
    const dereg = await t.req('PUT', '/v1/agent/service/deregister/my-service-1');
    expect([dereg.statusCode, dereg.body]).toEqual([200, '']);
    // requireOK: anything but 200 is `Unexpected response code: <code> (<body>)`.
    const again = await t.req('PUT', '/v1/agent/service/deregister/my-service-1');
    expect(`Unexpected response code: ${again.statusCode} (${again.body})`).toBe(
      'Unexpected response code: 404 (Unknown service ID "my-service-1". Ensure that the service ID is passed, not the service name.)',
    );
  });

  it('UpdateTTL(checkID, output, status) → PUT check/update with {"Status","Output"}', async () => {
    const t = testServer();
    await t.req('PUT', '/v1/agent/service/register', '{"ID":"job-1","Name":"job","Check":{"TTL":"30s"},"Checks":null}\n');
    // api.checkUpdate, as Go's encoder writes it ("pass" is translated to "passing" client-side).
    const r = await t.req('PUT', '/v1/agent/check/update/service:job-1', '{"Status":"passing","Output":"all good"}\n', {
      'content-type': 'application/json',
    });
    expect([r.statusCode, r.body]).toEqual([200, '']);
    const checks = (await t.req('GET', '/v1/agent/checks')).json();
    expect(goDecode(checks, GoMap(GoHealthCheck))).toEqual([]);
    expect(checks['service:job-1']).toMatchObject({ Status: 'passing', Output: 'all good' });
    const bad = await t.req('PUT', '/v1/agent/check/update/service:job-1', '{"Status":"pass","Output":""}\n');
    expect(`Unexpected response code: ${bad.statusCode} (${bad.body})`).toBe(
      "Unexpected response code: 400 (Invalid check status: 'pass')",
    );
  });

  it('every read the Go client decodes comes back type-correct with no unknown field', async () => {
    // The instance claims 10.0.0.5 (never contacted); its checks probe loopback, which the
    // operator allows here (checks may otherwise reach only the instance's own address).
    const t = testServer({ nodeMeta: { rack: 'r1' }, checkAllow: ['127.0.0.1'] });
    const registered = await t.req('PUT', '/v1/agent/service/register', {
      Name: 'web',
      ID: 'web-1',
      Address: '10.0.0.5',
      Port: 80,
      Tags: ['a'],
      Meta: { k: 'v' },
      TaggedAddresses: { lan: { Address: '10.0.0.5', Port: 80 }, wan: { Address: '1.2.3.4', Port: 8080 } },
      Weights: { Passing: 3, Warning: 1 },
      Checks: [
        {
          HTTP: `http://127.0.0.1:${port}/`,
          Method: 'POST',
          Header: { 'X-A': ['1'] },
          Body: '{}',
          DisableRedirects: true,
          TLSSkipVerify: true,
          Interval: '10s',
          DeregisterCriticalServiceAfter: '2m',
        },
        { TCP: '127.0.0.1:1', Interval: '5s', Timeout: '1s' },
        { TTL: '30s', Notes: 'n' },
      ],
    });
    expect(registered.statusCode, registered.body).toBe(200);
    await t.req('PUT', '/v1/agent/check/register', { Name: 'node-level', TTL: '1m' });
    await t.req('PUT', '/v1/agent/service/maintenance/web-1?enable=true');
    await t.req('PUT', '/v1/agent/maintenance?enable=true');
    const reads: [string, Parameters<typeof goDecode>[1]][] = [
      ['/v1/agent/self', GoAgentSelf],
      ['/v1/agent/services', GoMap(GoAgentService)],
      ['/v1/agent/service/web-1', GoAgentService],
      ['/v1/agent/checks', GoMap(GoHealthCheck)],
      ['/v1/catalog/services', GoCatalogServices],
      ['/v1/catalog/service/web', GoList(GoCatalogService)],
      ['/v1/catalog/nodes', GoList(GoNode)],
      ['/v1/health/service/web', GoList(GoServiceEntry)],
      ['/v1/health/checks/web', GoList(GoHealthCheck)],
      ['/v1/health/state/any', GoList(GoHealthCheck)],
      ['/v1/health/node/node-a', GoList(GoHealthCheck)],
    ];
    for (const [url, type] of reads) {
      const r = await t.req('GET', url);
      expect(r.statusCode, url).toBe(200);
      expect(r.headers['content-type'], url).toBe('application/json');
      expect(goDecode(r.json(), type), url).toEqual([]);
    }
    // Go's Agent().NodeName() type-asserts Config.NodeName to string.
    expect(typeof (await t.get<{ Config: { NodeName: unknown } }>('/v1/agent/self')).Config.NodeName).toBe('string');
  });
});
