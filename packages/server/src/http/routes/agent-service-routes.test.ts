/** `/v1/agent/service/*` (spec §6.1–6.4, §6.9, §4.2, §4.9). */
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, testServer } from '../../testing/test-server.test-helper.js';

afterEach(closeAll);

type Services = Record<string, Record<string, unknown>>;
type Checks = Record<string, Record<string, unknown>>;

describe('PUT /v1/agent/service/register', () => {
  it("skips a check with only zero values (Consul's empty CheckType) and refuses one with a zero TTL and a name", async () => {
    const t = testServer();
    for (const empty of [{ Check: { TTL: 0 } }, { Checks: [{ TTL: 0, Notes: '' }] }, { Check: { Interval: 0, Notes: '' } }]) {
      const r = await t.req('PUT', '/v1/agent/service/register', { Name: 'web', ID: 'web-1', ...empty });
      expect(r.statusCode, JSON.stringify(empty)).toBe(200);
      expect(await t.get<Checks>('/v1/agent/checks')).toEqual({});
    }
    const named = await t.req('PUT', '/v1/agent/service/register', { Name: 'web', ID: 'web-2', Check: { TTL: 0, Name: 'hb' } });
    expect(named.statusCode).toBe(400);
    expect(named.body).toBe('Invalid check: TTL must be > 0 for TTL checks');
  });

  it('registers the Go seed body (Check with Interval, Timeout, HTTP; Checks null)', async () => {
    const t = testServer();
    const body =
      '{"ID":"my-service-1","Name":"my-service","Port":8080,"Address":"localhost","Check":{"Interval":"10s","Timeout":"3s","HTTP":"http://localhost:8080/health"},"Checks":null}\n';
    const r = await t.req('PUT', '/v1/agent/service/register', body, { 'content-type': 'application/json' });
    expect(r.statusCode).toBe(200);
    expect(r.body).toBe('');
    const services = await t.get<Services>('/v1/agent/services');
    expect(services['my-service-1']).toEqual({
      ID: 'my-service-1',
      Service: 'my-service',
      Tags: [],
      Meta: {},
      Port: 8080,
      Address: 'localhost',
      Weights: { Passing: 1, Warning: 1 },
      EnableTagOverride: false,
      Datacenter: 'dc1',
    });
    const checks = await t.get<Checks>('/v1/agent/checks');
    expect(checks['service:my-service-1']).toMatchObject({
      CheckID: 'service:my-service-1',
      Name: "Service 'my-service' check",
      Status: 'critical',
      ServiceID: 'my-service-1',
      ServiceName: 'my-service',
      Type: 'http',
      Interval: '10s',
      Timeout: '3s',
      Definition: { HTTP: 'http://localhost:8080/health', Interval: '10s', Timeout: '3s', Method: 'GET' },
    });
  });

  it('registers the python-consul 0.7.1 body (lower-case keys, no Content-Type, ?token)', async () => {
    const t = testServer();
    const body =
      '{"name": "web", "id": "web-1", "address": "127.0.0.1", "port": 8080, "tags": ["a"], "check": {"http": "http://127.0.0.1:8080/h", "interval": "10s", "timeout": "1s", "DeregisterCriticalServiceAfter": "1m"}}';
    expect((await t.req('PUT', '/v1/agent/service/register?token=tkn', body)).statusCode).toBe(200);
    const checks = await t.get<Checks>('/v1/agent/checks');
    expect(checks['service:web-1']).toMatchObject({
      Type: 'http',
      Interval: '10s',
      Timeout: '1s',
      Definition: { DeregisterCriticalServiceAfter: '1m0s' },
    });
  });

  it('registers the npm consul body (Meta, slash in ID)', async () => {
    const t = testServer();
    const body = {
      Name: 'web',
      ID: 'web/1',
      Tags: ['a'],
      Meta: { k: 'v' },
      Address: '127.0.0.1',
      Port: 8080,
      Check: { HTTP: 'http://127.0.0.1:8080/h', Interval: '10s', Timeout: '1s', DeregisterCriticalServiceAfter: '1m' },
    };
    expect((await t.req('PUT', '/v1/agent/service/register', body)).statusCode).toBe(200);
    expect((await t.get<Services>('/v1/agent/services'))['web/1']).toMatchObject({ Meta: { k: 'v' }, Tags: ['a'] });
    expect((await t.req('PUT', '/v1/agent/service/deregister/web%2F1')).statusCode).toBe(200);
  });

  it('accepts durations as Go strings and as nanoseconds, and clamps a short interval to 1 s', async () => {
    const t = testServer();
    await t.req('PUT', '/v1/agent/service/register', {
      Name: 'web',
      Checks: [
        { HTTP: 'http://127.0.0.1:1/', Interval: 90_000_000_000 },
        { TCP: '127.0.0.1:1', Interval: '100ms', Timeout: '1m30s' },
        { TTL: '120000ms' },
        {},
      ],
    });
    const checks = await t.get<Checks>('/v1/agent/checks');
    expect(checks['service:web:1']).toMatchObject({ Interval: '1m30s' });
    expect(checks['service:web:2']).toMatchObject({ Interval: '1s', Timeout: '1m30s', Type: 'tcp', Definition: { TCP: '127.0.0.1:1' } });
    expect(checks['service:web:3']).toMatchObject({ Type: 'ttl', Interval: '', Timeout: '', Definition: {} });
    expect(Object.keys(checks)).toHaveLength(3);
  });

  it('derives check IDs: service:<id> for one check, service:<id>:<n> counting Check then Checks', async () => {
    const t = testServer();
    await t.req('PUT', '/v1/agent/service/register', {
      Name: 'web',
      ID: 'w1',
      Check: { TTL: '10s' },
      Checks: [
        { TTL: '10s', Name: 'second' },
        { TTL: '10s', CheckID: 'mine', Status: 'passing' },
      ],
    });
    const checks = await t.get<Checks>('/v1/agent/checks');
    expect(Object.keys(checks).sort()).toEqual(['mine', 'service:w1:1', 'service:w1:2']);
    expect(checks['service:w1:2']?.Name).toBe('second');
    expect(checks.mine?.Status).toBe('passing');
  });

  it('keeps check status on re-registration; replace-existing-checks removes the others', async () => {
    const t = testServer();
    await t.req('PUT', '/v1/agent/service/register', {
      Name: 'web',
      Checks: [
        { TTL: '10s', CheckID: 'a' },
        { TTL: '10s', CheckID: 'b' },
      ],
    });
    await t.req('PUT', '/v1/agent/check/pass/a');
    await t.req('PUT', '/v1/agent/service/register', { Name: 'web', Port: 81, Checks: [{ TTL: '20s', CheckID: 'a' }] });
    let checks = await t.get<Checks>('/v1/agent/checks');
    expect(checks.a?.Status).toBe('passing');
    expect(checks.b).toBeDefined();
    await t.req('PUT', '/v1/agent/service/register?replace-existing-checks', { Name: 'web', Checks: [{ TTL: '20s', CheckID: 'a' }] });
    checks = await t.get<Checks>('/v1/agent/checks');
    expect(Object.keys(checks)).toEqual(['a']);
  });

  it.each([
    [{}, 'Missing service name'],
    [{ Name: '' }, 'Missing service name'],
    [{ Name: 'web', Address: '0.0.0.0' }, 'Invalid service address'],
    [{ Name: 'web', Address: '::' }, 'Invalid service address'],
    [
      { Name: 'web', Check: { HTTP: 'http://x/' } },
      'Invalid check: Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or OSService checks',
    ],
    [{ Name: 'web', Check: { TTL: '10s', Interval: '10s' } }, 'Invalid check: Interval and TTL cannot both be specified'],
    [{ Name: 'web', Check: { Notes: 'x' } }, 'Invalid check: TTL must be > 0 for TTL checks'],
    [
      { Name: 'web', Check: { Args: ['/bin/true'], Interval: '10s' } },
      'Invalid check: script checks are not supported (roster never runs commands)',
    ],
    [
      { Name: 'web', Check: { Script: '/bin/true', Interval: '10s' } },
      'Invalid check: script checks are not supported (roster never runs commands)',
    ],
    [{ Name: 'web', Check: { GRPC: 'x:1', Interval: '10s' } }, 'Invalid check: gRPC checks are not supported'],
    [{ Name: 'web', Check: { TTL: '10s', Status: 'maintenance' } }, "Status for checks must 'passing', 'warning', 'critical'"],
    [{ Name: 'web', Weights: { Passing: 0, Warning: 1 } }, 'Invalid Weights: Passing must be greater than 0'],
    [{ Name: 'web', Check: { TTL: 'ten seconds' } }, 'Request decode failed: time: invalid duration "ten seconds"'],
    [{ Name: 'web', Check: { TTL: '' } }, 'Request decode failed: time: invalid duration ""'],
    [{ Name: 'web', Check: { TTL: '100ms' } }, 'Invalid check: TTL: must be at least 1000 ms, got 100 ms'],
    [{ Name: 'web', Check: { HTTP: 'ftp://x/', Interval: '10s' } }, 'Invalid check: HTTP: must be an http or https URL, got ftp:'],
    [{ Name: 'web', Check: { TCP: 'nohost', Interval: '10s' } }, 'Invalid check: TCP: must be "host:port", got "nohost"'],
  ])('refuses %j with %j', async (body, message) => {
    const t = testServer();
    const r = await t.req('PUT', '/v1/agent/service/register', body);
    expect(r.statusCode).toBe(400);
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(r.body).toBe(message);
    expect(await t.get('/v1/agent/services')).toEqual({});
  });

  it('names the field of limit violations', async () => {
    const t = testServer();
    const meta = await t.req('PUT', '/v1/agent/service/register', { Name: 'web', Meta: { 'consul-x': 'v' } });
    expect(meta.body).toMatch(/^Invalid Service Meta: Meta\.consul-x: /);
    const name = await t.req('PUT', '/v1/agent/service/register', { Name: 'web service' });
    expect(name.body).toMatch(/^Invalid service: Name: /);
    const tags = await t.req('PUT', '/v1/agent/service/register', { Name: 'web', Tags: Array.from({ length: 65 }, (_, i) => `t${i}`) });
    expect(tags.body).toMatch(/^Invalid service: Tags: must have at most 64 entries/);
    const id = await t.req('PUT', '/v1/agent/service/register', { Name: 'web', ID: 'x'.repeat(129) });
    expect(id.body).toMatch(/^Invalid service: ID: must be at most 128 characters/);
    const port = await t.req('PUT', '/v1/agent/service/register', { Name: 'web', Port: 70000 });
    expect(port.body).toBe('Invalid service: Port: must be between 0 and 65535, got 70000');
  });

  it('raises DeregisterCriticalServiceAfter to the minimum (1 minute by default)', async () => {
    const t = testServer();
    await t.req('PUT', '/v1/agent/service/register', { Name: 'web', Check: { TTL: '10s', DeregisterCriticalServiceAfter: '10s' } });
    expect((await t.get<Checks>('/v1/agent/checks'))['service:web']?.Definition).toEqual({ DeregisterCriticalServiceAfter: '1m0s' });
  });
});

describe('deregister, get, maintenance', () => {
  it('deregisters with 200 and answers 404 with Consul wording for an unknown ID', async () => {
    const t = testServer();
    await t.req('PUT', '/v1/agent/service/register', { Name: 'web', Check: { TTL: '10s' } });
    expect((await t.req('PUT', '/v1/agent/service/deregister/web')).statusCode).toBe(200);
    expect(await t.get('/v1/agent/checks')).toEqual({});
    const r = await t.req('PUT', '/v1/agent/service/deregister/web');
    expect(r.statusCode).toBe(404);
    expect(r.body).toBe('Unknown service ID "web". Ensure that the service ID is passed, not the service name.');
  });

  it('answers GET /v1/agent/service/:id with ContentHash, 404 for unknown', async () => {
    const t = testServer();
    await t.req('PUT', '/v1/agent/service/register', { Name: 'web', TaggedAddresses: { lan: { Address: '10.0.0.1', Port: 80 } } });
    const r = await t.req('GET', '/v1/agent/service/web');
    expect(r.json()).toMatchObject({ ID: 'web', TaggedAddresses: { lan: { Address: '10.0.0.1', Port: 80 } } });
    expect(r.json().ContentHash).toBe(r.headers['x-consul-contenthash']);
    const missing = await t.req('GET', '/v1/agent/service/nope');
    expect(missing.statusCode).toBe(404);
    expect(missing.body).toBe('unknown service ID: nope');
  });

  it('holds GET /v1/agent/service/:id?hash= until the content changes', async () => {
    const t = testServer();
    await t.req('PUT', '/v1/agent/service/register', { Name: 'web', Port: 1 });
    const hash = (await t.req('GET', '/v1/agent/service/web')).headers['x-consul-contenthash'];
    let done = false;
    const held = t.req('GET', `/v1/agent/service/web?hash=${hash}&wait=1m`).then((r) => {
      done = true;
      return r;
    });
    await t.clock.advance(10);
    expect(done).toBe(false);
    await t.req('PUT', '/v1/agent/service/register', { Name: 'web', Port: 2 });
    const r = await held;
    expect(r.json().Port).toBe(2);
    expect(r.headers['x-consul-contenthash']).not.toBe(hash);
  });

  it('puts a service into maintenance and out again', async () => {
    const t = testServer();
    await t.req('PUT', '/v1/agent/service/register', { Name: 'web', Check: { TTL: '10s', Status: 'passing' } });
    expect((await t.req('PUT', '/v1/agent/service/maintenance/web?enable=true')).statusCode).toBe(200);
    const checks = await t.get<Checks>('/v1/agent/checks');
    expect(checks['_service_maintenance:web']).toMatchObject({
      Name: 'Service Maintenance Mode',
      Status: 'critical',
      Notes: 'Maintenance mode is enabled for this service, but no reason was provided. This is a default message.',
      ServiceID: 'web',
      ServiceName: 'web',
      Type: 'maintenance',
    });
    expect(await t.get('/v1/health/service/web?passing')).toEqual([]);
    expect((await t.req('PUT', '/v1/agent/service/maintenance/web?enable=True&reason=upgrade')).statusCode).toBe(200);
    expect((await t.req('PUT', '/v1/agent/service/maintenance/web?enable=false')).statusCode).toBe(200);
    expect((await t.get<unknown[]>('/v1/health/service/web?passing')).length).toBe(1);
  });

  it.each([
    ['/v1/agent/service/maintenance/web', 400, 'Missing value for enable'],
    ['/v1/agent/service/maintenance/web?enable=yes', 400, 'Invalid value for enable: "yes"'],
    ['/v1/agent/service/maintenance/?enable=true', 400, 'Missing service ID'],
    [
      '/v1/agent/service/maintenance/nope?enable=true',
      404,
      'Unknown service ID "nope". Ensure that the service ID is passed, not the service name.',
    ],
    ['/v1/agent/maintenance', 400, 'Missing value for enable'],
  ])('PUT %s → %i %s', async (url, status, message) => {
    const t = testServer();
    await t.req('PUT', '/v1/agent/service/register', { Name: 'web' });
    const r = await t.req('PUT', url);
    expect(r.statusCode).toBe(status);
    expect(r.body).toBe(message);
  });

  it('filters /v1/agent/services', async () => {
    const t = testServer();
    await t.req('PUT', '/v1/agent/service/register', { Name: 'web', ID: 'w1', Tags: ['v1'] });
    await t.req('PUT', '/v1/agent/service/register', { Name: 'db', ID: 'd1' });
    expect(Object.keys(await t.get('/v1/agent/services?filter=' + encodeURIComponent('"v1" in Tags')))).toEqual(['w1']);
    const bad = await t.req('GET', '/v1/agent/services?filter=' + encodeURIComponent('Tags =='));
    expect(bad.statusCode).toBe(400);
  });
});
