/** `/v1/agent/check/*` (spec §6.5–6.8). */
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, testServer } from '../../testing/test-server.test-helper.js';

afterEach(closeAll);

type Checks = Record<string, Record<string, unknown>>;

describe('check register and deregister', () => {
  it('registers a standalone check (ID defaults to Name) and one attached to a service (python keys)', async () => {
    const t = testServer();
    expect((await t.req('PUT', '/v1/agent/check/register', { Name: 'disk', TTL: '30s', Notes: 'n' })).statusCode).toBe(200);
    await t.req('PUT', '/v1/agent/service/register', { Name: 'web' });
    const python = '{"name": "web-http", "id": "wh", "notes": "", "serviceid": "web", "http": "http://127.0.0.1:1/", "interval": "10s"}';
    expect((await t.req('PUT', '/v1/agent/check/register', python)).statusCode).toBe(200);
    const checks = await t.get<Checks>('/v1/agent/checks');
    expect(checks.disk).toMatchObject({ Name: 'disk', Status: 'critical', ServiceID: '', Notes: 'n', Type: 'ttl' });
    expect(checks.wh).toMatchObject({ ServiceID: 'web', ServiceName: 'web', Type: 'http' });
  });

  it.each([
    [{ TTL: '10s' }, 400, 'Missing check name'],
    [{ Name: 'x', TTL: '10s', Status: 'bad' }, 400, 'Bad check status'],
    [{ Name: 'x', ServiceID: 'nope', TTL: '10s' }, 404, 'ServiceID "nope" does not exist'],
    [{ Name: 'x' }, 400, 'Invalid check: TTL must be > 0 for TTL checks'],
    [{ Name: 'x', Args: ['sh'], Interval: '1s' }, 400, 'Invalid check: script checks are not supported (roster never runs commands)'],
    [{ Name: 'x', DockerContainerID: 'c', Interval: '1s' }, 400, 'Invalid check: Docker checks are not supported'],
  ])('refuses %j → %i %s', async (body, status, message) => {
    const t = testServer();
    const r = await t.req('PUT', '/v1/agent/check/register', body);
    expect(r.statusCode).toBe(status);
    expect(r.body).toBe(message);
  });

  it('deregisters; unknown ID → 404 with Consul wording', async () => {
    const t = testServer();
    await t.req('PUT', '/v1/agent/check/register', { Name: 'disk', TTL: '30s' });
    expect((await t.req('PUT', '/v1/agent/check/deregister/disk')).statusCode).toBe(200);
    const r = await t.req('PUT', '/v1/agent/check/deregister/disk');
    expect(r.statusCode).toBe(404);
    expect(r.body).toBe('Unknown check ID "disk". Ensure that the check ID is passed, not the check name.');
    expect((await t.req('PUT', '/v1/agent/check/deregister/serfHealth')).statusCode).toBe(404);
  });
});

describe('TTL updates', () => {
  it('pass/warn/fail set status and output (note)', async () => {
    const t = testServer();
    await t.req('PUT', '/v1/agent/service/register', { Name: 'web', Check: { TTL: '10s' } });
    for (const [verb, status] of [
      ['pass', 'passing'],
      ['warn', 'warning'],
      ['fail', 'critical'],
    ] as const) {
      expect((await t.req('PUT', `/v1/agent/check/${verb}/service:web?note=${verb}ed`)).statusCode).toBe(200);
      expect((await t.get<Checks>('/v1/agent/checks'))['service:web']).toMatchObject({ Status: status, Output: `${verb}ed` });
    }
    // npm encodes the colon.
    expect((await t.req('PUT', '/v1/agent/check/pass/service%3Aweb?note=ok')).statusCode).toBe(200);
  });

  it('update takes a case-insensitive body; bad status → 400; output capped at 4 KB', async () => {
    const t = testServer();
    await t.req('PUT', '/v1/agent/check/register', { Name: 'c', TTL: '10s' });
    expect((await t.req('PUT', '/v1/agent/check/update/c', { status: 'warning', output: 'x'.repeat(5000) })).statusCode).toBe(200);
    const c = (await t.get<Checks>('/v1/agent/checks')).c!;
    expect(c.Status).toBe('warning');
    expect((c.Output as string).length).toBe(4096);
    const bad = await t.req('PUT', '/v1/agent/check/update/c', { Status: 'pass' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toBe("Invalid check status: 'pass'");
    expect((await t.req('PUT', '/v1/agent/check/update/c')).body).toBe('Request decode failed: EOF');
  });

  it('unknown check → 404; a check that is not TTL → 500 with the wording clients match', async () => {
    const t = testServer();
    const r = await t.req('PUT', '/v1/agent/check/pass/nope');
    expect(r.statusCode).toBe(404);
    expect(r.body).toBe('Unknown check ID "nope". Ensure that the check ID is passed, not the check name.');
    await t.req('PUT', '/v1/agent/check/register', { Name: 'h', HTTP: 'http://127.0.0.1:1/', Interval: '10s' });
    const n = await t.req('PUT', '/v1/agent/check/fail/h');
    expect(n.statusCode).toBe(500);
    expect(n.body).toBe('CheckID "h" does not have associated TTL');
    await t.req('PUT', '/v1/agent/service/register', { Name: 'web' });
    await t.req('PUT', '/v1/agent/service/maintenance/web?enable=1');
    expect((await t.req('PUT', '/v1/agent/check/pass/_service_maintenance:web')).statusCode).toBe(500);
  });

  it('a heartbeat that does not change the status does not move the index', async () => {
    const t = testServer();
    await t.req('PUT', '/v1/agent/service/register', { Name: 'web', Check: { TTL: '10s' } });
    await t.req('PUT', '/v1/agent/check/pass/service:web?note=1');
    const index = (await t.req('GET', '/v1/health/service/web')).headers['x-consul-index'];
    await t.req('PUT', '/v1/agent/check/pass/service:web?note=2');
    const after = await t.req('GET', '/v1/health/service/web');
    expect(after.headers['x-consul-index']).toBe(index);
    expect(after.json()[0].Checks[1].Output).toBe('2');
  });
});

describe('agent health endpoints', () => {
  it('map aggregated status to 200 / 429 / 503 / 404, JSON or text', async () => {
    const t = testServer();
    await t.req('PUT', '/v1/agent/service/register', { Name: 'web', ID: 'w1', Check: { TTL: '10s', Status: 'passing' } });
    await t.req('PUT', '/v1/agent/service/register', { Name: 'web', ID: 'w2', Check: { TTL: '10s', Status: 'warning' } });
    const ok = await t.req('GET', '/v1/agent/health/service/id/w1');
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ AggregatedStatus: 'passing', Service: { ID: 'w1' } });
    const warn = await t.req('GET', '/v1/agent/health/service/id/w2?format=text');
    expect([warn.statusCode, warn.body]).toEqual([429, 'warning']);
    const byName = await t.req('GET', '/v1/agent/health/service/name/web');
    expect(byName.statusCode).toBe(429);
    expect(byName.json()).toHaveLength(2);
    await t.req('PUT', '/v1/agent/service/maintenance/w1?enable=true');
    const maint = await t.req('GET', '/v1/agent/health/service/id/w1?format=text');
    expect([maint.statusCode, maint.body]).toEqual([503, 'maintenance']);
    expect((await t.req('GET', '/v1/agent/health/service/id/nope')).statusCode).toBe(404);
    expect((await t.req('GET', '/v1/agent/health/service/name/nope')).statusCode).toBe(404);
  });
});
