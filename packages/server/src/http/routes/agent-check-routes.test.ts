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

describe('heartbeats that change nothing (D85)', () => {
  it('skip the commit path: no index move, no sync, same answer; a new output shows, a new status commits', async () => {
    let syncs = 0;
    const t = testServer({
      sync: 'full',
      syncFile: async () => {
        syncs++;
      },
    });
    await t.req('PUT', '/v1/agent/service/register', { Name: 'web', Check: { TTL: '10s' } });
    await t.req('PUT', '/v1/agent/check/pass/service:web?note=up');
    const read = async () => {
      const r = await t.req('GET', '/v1/health/service/web');
      return { index: Number(r.headers['x-consul-index']), body: r.body };
    };
    const commits = async () => {
      const text = (await t.req('GET', '/v1/agent/metrics?format=prometheus')).body;
      return Number(/^roster_store_commit_duration_seconds_count (\d+)/m.exec(text)?.[1] ?? -1);
    };
    const base = await read();
    const [syncs0, commits0] = [syncs, await commits()];
    for (let i = 0; i < 5; i++) expect((await t.req('PUT', '/v1/agent/check/pass/service:web?note=up')).statusCode).toBe(200);
    expect(await read()).toEqual(base);
    expect([syncs, await commits()]).toEqual([syncs0, commits0]);

    // A new output is shown at once, without an index move or a store write (spec §4.4).
    expect((await t.req('PUT', '/v1/agent/check/pass/service:web?note=still-up')).statusCode).toBe(200);
    const output = await read();
    expect(output.index).toBe(base.index);
    expect(JSON.parse(output.body)[0].Checks[1]).toMatchObject({ Status: 'passing', Output: 'still-up' });
    expect([syncs, await commits()]).toEqual([syncs0, commits0]);

    // A new status is a commit: the index moves and a sync covers it.
    expect((await t.req('PUT', '/v1/agent/check/warn/service:web?note=still-up')).statusCode).toBe(200);
    const status = await read();
    expect(status.index).toBeGreaterThan(base.index);
    expect(JSON.parse(status.body)[0].Checks[1]).toMatchObject({ Status: 'warning', Output: 'still-up' });
    expect(syncs).toBe(syncs0 + 1);
    expect(await commits()).toBe(commits0 + 1);
  });

  it('an unchanged heartbeat still renews the TTL', async () => {
    const t = testServer();
    await t.req('PUT', '/v1/agent/service/register', { Name: 'web', Check: { TTL: '10s' } });
    await t.req('PUT', '/v1/agent/check/pass/service:web');
    for (let i = 0; i < 3; i++) {
      await t.clock.advance(8_000);
      expect((await t.req('PUT', '/v1/agent/check/pass/service:web')).statusCode).toBe(200);
    }
    // 24 s after the first pass, 8 s after the last: still passing.
    expect((await t.get<Checks>('/v1/agent/checks'))['service:web']).toMatchObject({ Status: 'passing' });
    await t.clock.advance(11_000);
    expect((await t.get<Checks>('/v1/agent/checks'))['service:web']).toMatchObject({ Status: 'critical' });
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
