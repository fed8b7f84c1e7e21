/**
 * Checks run by the server against real HTTP and TCP targets on loopback, driven by a fake clock
 * (runCheck = one probe now) where waiting would be slow; TTL expiry, thresholds,
 * DeregisterCriticalServiceAfter and the restart grace period on the fake clock.
 */
import http from 'node:http';
import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { systemClock } from '@rosterjs/roster';
import { FakeClock } from '@rosterjs/roster/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { RosterEvent } from '../index.js';
import { closeAll, type TestServer, testServer } from '../testing/test-server.test-helper.js';

const targets: { close(): void }[] = [];
afterEach(async () => {
  await closeAll();
  for (const t of targets.splice(0)) t.close();
});

/** An HTTP target whose answer status can be switched. */
async function httpTarget() {
  const state = { status: 200, body: 'ok' };
  const server = http.createServer((_req, res) => {
    res.writeHead(state.status, { 'content-type': 'text/plain' });
    res.end(state.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  targets.push({ close: () => server.close() });
  server.unref();
  return { state, url: `http://127.0.0.1:${port}/health`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** A TCP target that can be stopped and started on the same port. */
async function tcpTarget() {
  let server: net.Server | undefined;
  const sockets = new Set<net.Socket>();
  const start = (port: number) =>
    new Promise<number>((resolve) => {
      server = net.createServer((s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.end();
      });
      server.listen(port, '127.0.0.1', () => resolve((server!.address() as net.AddressInfo).port));
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      if (server) server.close(() => resolve());
      else resolve();
      server = undefined;
    });
  const port = await start(0);
  targets.push({ close: () => void stop() });
  return { port, stop, start: () => start(port) };
}

async function status(t: TestServer, checkId: string) {
  const checks = await t.get<Record<string, { Status: string; Output: string }>>('/v1/agent/checks');
  return checks[checkId];
}

/** Runs one probe of a check and lets its result commit. */
async function probe(t: TestServer, checkId: string) {
  await t.server.runCheck(checkId);
  await t.clock.advance(0);
}

describe('HTTP checks', () => {
  it('follow a real target: 2xx passing, 429 warning, 5xx and down critical', async () => {
    const target = await httpTarget();
    const t = testServer();
    await t.req('PUT', '/v1/agent/service/register', { Name: 'web', Port: 1, Check: { HTTP: target.url, Interval: '10s' } });
    expect((await status(t, 'service:web'))?.Status).toBe('critical');
    await probe(t, 'service:web');
    expect(await status(t, 'service:web')).toMatchObject({ Status: 'passing', Output: `HTTP GET ${target.url}: 200 OK Output: ok` });
    expect(await t.get('/v1/health/service/web?passing')).toHaveLength(1);
    target.state.status = 429;
    await probe(t, 'service:web');
    expect((await status(t, 'service:web'))?.Status).toBe('warning');
    target.state.status = 503;
    await probe(t, 'service:web');
    expect((await status(t, 'service:web'))?.Status).toBe('critical');
    target.state.status = 200;
    await probe(t, 'service:web');
    expect((await status(t, 'service:web'))?.Status).toBe('passing');
    await target.close();
    await probe(t, 'service:web');
    const down = await status(t, 'service:web');
    expect(down?.Status).toBe('critical');
    expect(down?.Output).toMatch(/ECONNREFUSED|refused/);
  });

  it('wake a blocking query on a status change, not on an output-only change', async () => {
    const target = await httpTarget();
    const t = testServer();
    await t.req('PUT', '/v1/agent/service/register', { Name: 'web', Check: { HTTP: target.url, Interval: '10s' } });
    await probe(t, 'service:web');
    const index = Number((await t.req('GET', '/v1/health/service/web')).headers['x-consul-index']);
    let woken = false;
    const held = t.req('GET', `/v1/health/service/web?index=${index}`).then((r) => {
      woken = true;
      return r;
    });
    target.state.body = 'different body';
    await probe(t, 'service:web');
    expect(woken).toBe(false);
    expect((await status(t, 'service:web'))?.Output).toMatch(/different body/);
    target.state.status = 500;
    await probe(t, 'service:web');
    expect(Number((await held).headers['x-consul-index'])).toBeGreaterThan(index);
  });

  it('apply thresholds: SuccessBeforePassing and FailuresBeforeWarning/Critical', async () => {
    const target = await httpTarget();
    const t = testServer();
    await t.req('PUT', '/v1/agent/service/register', {
      Name: 'web',
      Check: { HTTP: target.url, Interval: '10s', SuccessBeforePassing: 2, FailuresBeforeWarning: 1, FailuresBeforeCritical: 3 },
    });
    const seen: string[] = [];
    const step = async () => {
      await probe(t, 'service:web');
      seen.push((await status(t, 'service:web'))!.Status);
    };
    await step();
    await step();
    target.state.status = 500;
    await step();
    await step();
    await step();
    target.state.status = 200;
    await step();
    await step();
    expect(seen).toEqual(['critical', 'passing', 'warning', 'warning', 'critical', 'critical', 'passing']);
  });

  it('run on their own schedule with the real clock', async () => {
    const target = await httpTarget();
    const t = testServer({ clock: systemClock });
    await t.req('PUT', '/v1/agent/service/register', { Name: 'web', Check: { HTTP: target.url, Interval: '1s' } });
    const i = Number((await t.req('GET', '/v1/health/service/web')).headers['x-consul-index']);
    const r = await t.req('GET', `/v1/health/service/web?index=${i}&wait=10s`);
    expect(r.json()[0].Checks[1].Status).toBe('passing');
  });
});

describe('TCP checks', () => {
  it('follow a real port going down and up', async () => {
    const target = await tcpTarget();
    const t = testServer();
    await t.req('PUT', '/v1/agent/service/register', {
      Name: 'db',
      Check: { TCP: `127.0.0.1:${target.port}`, Interval: '5s', Timeout: '1s' },
    });
    await probe(t, 'service:db');
    expect(await status(t, 'service:db')).toMatchObject({ Status: 'passing', Output: `TCP connect 127.0.0.1:${target.port}: Success` });
    await target.stop();
    await probe(t, 'service:db');
    expect((await status(t, 'service:db'))?.Status).toBe('critical');
    await target.start();
    await probe(t, 'service:db');
    expect((await status(t, 'service:db'))?.Status).toBe('passing');
  });
});

describe('TTL checks and the reaper (fake clock)', () => {
  it('turn critical with "TTL expired" when not renewed in time; every update renews', async () => {
    const t = testServer();
    await t.req('PUT', '/v1/agent/service/register', { Name: 'web', Check: { TTL: '10s' } });
    await t.req('PUT', '/v1/agent/check/pass/service:web?note=alive');
    await t.clock.advance(9_000);
    await t.req('PUT', '/v1/agent/check/pass/service:web?note=alive');
    await t.clock.advance(9_000);
    expect((await status(t, 'service:web'))?.Status).toBe('passing');
    await t.clock.advance(1_001);
    expect(await status(t, 'service:web')).toMatchObject({
      Status: 'critical',
      Output: 'TTL expired (last output before timeout follows): alive',
    });
  });

  it('deregister an instance critical for DeregisterCriticalServiceAfter (raised to 1 minute)', async () => {
    const t = testServer();
    const events: RosterEvent[] = [];
    t.server.subscribe((e) => events.push(e));
    await t.req('PUT', '/v1/agent/service/register', {
      Name: 'web',
      ID: 'w1',
      Check: { TTL: '10s', DeregisterCriticalServiceAfter: '30s' },
    });
    await t.req('PUT', '/v1/agent/service/register', {
      Name: 'web',
      ID: 'w2',
      Check: { TTL: '10s', DeregisterCriticalServiceAfter: '30s' },
    });
    await t.clock.advance(30_000);
    await t.req('PUT', '/v1/agent/check/pass/service:w2');
    await t.clock.advance(29_000);
    expect(Object.keys(await t.get('/v1/agent/services'))).toEqual(['w1', 'w2']);
    await t.clock.advance(2_000);
    expect(Object.keys(await t.get('/v1/agent/services'))).toEqual(['w2']);
    expect(events.find((e) => e.type === 'deregister')).toMatchObject({ id: 'w1', reason: 'critical-timeout' });
    // w2 went critical again at 40 s (TTL); it is reaped a minute after that.
    await t.clock.advance(40_000);
    expect(await t.get('/v1/agent/services')).toEqual({});
  });

  it('after a restart, TTL checks keep their status for a grace period of one TTL', async () => {
    const t = testServer();
    await t.req('PUT', '/v1/agent/service/register', { Name: 'web', Check: { TTL: '10s' } });
    await t.req('PUT', '/v1/agent/check/pass/service:web');
    await t.close();
    const clock = new FakeClock(t.clock.now() + 3_600_000);
    const again = t.reopen({ clock });
    expect((await status(again, 'service:web'))?.Status).toBe('passing');
    await clock.advance(19_000);
    expect((await status(again, 'service:web'))?.Status).toBe('passing');
    await clock.advance(1_001);
    expect((await status(again, 'service:web'))?.Status).toBe('critical');
  });
});

describe('HTTP checks after a restart', () => {
  it('run again against the target', async () => {
    const target = await httpTarget();
    const t = testServer();
    await t.req('PUT', '/v1/agent/service/register', { Name: 'web', Check: { HTTP: target.url, Interval: '10s' } });
    await t.close();
    const again = t.reopen({ clock: systemClock });
    for (let i = 0; i < 100 && (await status(again, 'service:web'))?.Status !== 'passing'; i++) await delay(20);
    expect((await status(again, 'service:web'))?.Status).toBe('passing');
  });
});
