/**
 * The dashboard's two roster extensions (in process, fake clock): `/v1/roster/status` counts
 * what it says (instances, services, held queries, event streams, TTL renewals per second,
 * data-dir bytes) and is ACL-checked (agent:read); `/v1/roster/history/<service>` keeps each
 * instance's transitions and check changes (maintenance on and off included) and says whether
 * the token may write the service.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, testServer } from '../../testing/test-server.test-helper.js';

afterEach(closeAll);

interface Status {
  readonly index: number;
  readonly instances: number;
  readonly services: number;
  readonly heldQueries: number;
  readonly watchers: number;
  readonly ttlRenewalsPerSecond: number;
  readonly dataDirBytes: number;
  readonly uptimeSeconds: number;
  readonly version: string;
  readonly bind: string;
  readonly acl: string;
}

describe('GET /v1/roster/status', () => {
  it('reports index, counts, uptime, TTL renewals per second and the data dir size', async () => {
    const t = testServer();
    for (const [id, name] of [
      ['a1', 'a'],
      ['a2', 'a'],
      ['b1', 'b'],
    ]) {
      const r = await t.req('PUT', '/v1/agent/service/register', {
        Name: name,
        ID: id,
        Port: 80,
        Check: { TTL: '60s', CheckID: `ttl-${id}` },
      });
      expect(r.statusCode).toBe(200);
    }
    await t.clock.advance(2000);
    for (let i = 0; i < 20; i++) expect((await t.req('PUT', `/v1/agent/check/pass/ttl-a1`)).statusCode).toBe(200);
    // Renewals are counted when the answer is done (Fastify's onResponse), just after inject resolves.
    await new Promise((r) => setTimeout(r, 20));
    await t.clock.advance(1000);
    const s = await t.get<Status>('/v1/roster/status');
    expect(s).toMatchObject({ instances: 3, services: 2, heldQueries: 0, watchers: 0, acl: 'off', bind: '127.0.0.1:0' });
    expect(s.uptimeSeconds).toBe(3);
    expect(s.index).toBe(t.server.index);
    // 20 renewals within one second, averaged over the 10-second window.
    expect(s.ttlRenewalsPerSecond).toBe(2);
    expect(s.dataDirBytes).toBeGreaterThan(4096);
    expect(s.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('counts held blocking queries while they are held', async () => {
    const t = testServer();
    await t.req('PUT', '/v1/agent/service/register', { Name: 'a', ID: 'a1', Port: 80 });
    const index = t.server.index;
    const held = t.req('GET', `/v1/health/service/a?index=${index}&wait=60s`);
    await new Promise((r) => setTimeout(r, 50));
    expect((await t.get<Status>('/v1/roster/status')).heldQueries).toBe(1);
    await t.req('PUT', '/v1/agent/service/register', { Name: 'a', ID: 'a2', Port: 80 });
    expect((await held).statusCode).toBe(200);
    expect((await t.get<Status>('/v1/roster/status')).heldQueries).toBe(0);
  });

  it('needs agent:read on the node (403 naming it otherwise)', async () => {
    const t = testServer({ acl: { tokens: { 'tok-read': 'read' }, defaultPolicy: 'deny' } });
    const anonymous = await t.req('GET', '/v1/roster/status');
    expect(anonymous.statusCode).toBe(403);
    expect(anonymous.body).toContain("'agent:read'");
    const read = await t.req('GET', '/v1/roster/status', undefined, { 'x-consul-token': 'tok-read' });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toMatchObject({ acl: 'deny' });
  });
});

describe('GET /v1/roster/history/<service>', () => {
  it('keeps transitions and check changes per instance, maintenance on and off included', async () => {
    const t = testServer();
    await t.req('PUT', '/v1/agent/service/register', {
      Name: 'web',
      ID: 'w1',
      Port: 80,
      Check: { TTL: '60s', CheckID: 'ttl-w1', Status: 'passing' },
    });
    await t.clock.advance(1000);
    await t.req('PUT', '/v1/agent/check/fail/ttl-w1');
    await t.req('PUT', '/v1/agent/check/pass/ttl-w1');
    await t.req('PUT', '/v1/agent/service/maintenance/w1?enable=true');
    await t.req('PUT', '/v1/agent/service/maintenance/w1?enable=false');
    const h = await t.get<{
      mayWrite: boolean;
      instances: Record<
        string,
        { transitions: { health: string; cause: string; checkId?: string }[]; checks: Record<string, { status: string; previous: string }> }
      >;
    }>('/v1/roster/history/web');
    expect(h.mayWrite).toBe(true);
    expect(h.instances.w1!.transitions.map((x) => `${x.cause}:${x.health}`)).toEqual([
      'register:passing',
      'health:critical',
      'health:passing',
      'health:critical',
      'health:passing',
    ]);
    expect(h.instances.w1!.checks['ttl-w1']).toMatchObject({ status: 'passing', previous: 'critical' });
    expect(h.instances.w1!.checks['_service_maintenance:w1']).toMatchObject({ status: 'passing', previous: 'critical' });
    // An instance registered passing with no change since: its registration, made from its own record.
    await t.req('PUT', '/v1/agent/service/register', { Name: 'web', ID: 'w2', Port: 81 });
    const w2 = (
      await t.get<{ instances: Record<string, { transitions: { cause: string; health: string; index: number }[] }> }>(
        '/v1/roster/history/web',
      )
    ).instances.w2!;
    expect(w2.transitions).toEqual([expect.objectContaining({ cause: 'register', health: 'passing' })]);
    // Deregistration drops the instance's history.
    await t.req('PUT', '/v1/agent/service/deregister/w1');
    expect(Object.keys((await t.get<{ instances: object }>('/v1/roster/history/web')).instances)).toEqual(['w2']);
  });

  it('needs service:read and says whether the token may write', async () => {
    const t = testServer({ acl: { tokens: { 'tok-read': 'read', 'tok-write': 'write' }, defaultPolicy: 'deny' } });
    expect((await t.req('GET', '/v1/roster/history/web')).statusCode).toBe(403);
    const read = await t.req('GET', '/v1/roster/history/web', undefined, { 'x-consul-token': 'tok-read' });
    expect(read.json()).toMatchObject({ mayWrite: false });
    const write = await t.req('GET', '/v1/roster/history/web', undefined, { 'x-consul-token': 'tok-write' });
    expect(write.json()).toMatchObject({ mayWrite: true });
    expect((await t.req('GET', '/v1/roster/history/')).statusCode).toBe(400);
  });
});
