/** Blocking queries in process, on a fake clock (spec §5). */
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, type TestServer, testServer } from '../testing/test-server.test-helper.js';
import { DEFAULT_WAIT_MS, MAX_WAIT_MS, parseBlockingParams } from './blocking-params.js';

afterEach(closeAll);

function track(t: TestServer, url: string) {
  const state = { done: false, index: 0, body: undefined as unknown };
  const promise = t.req('GET', url).then((r) => {
    state.done = true;
    state.index = Number(r.headers['x-consul-index']);
    state.body = r.json();
    return r;
  });
  return { state, promise };
}

const index = async (t: TestServer, url: string) => Number((await t.req('GET', url)).headers['x-consul-index']);

describe('parseBlockingParams', () => {
  it('defaults to 5 minutes, caps at 10, adds jitter below wait/16', () => {
    expect(parseBlockingParams(new URLSearchParams(''), () => 0)).toEqual({ index: 0, waitMs: DEFAULT_WAIT_MS });
    expect(parseBlockingParams(new URLSearchParams('index=7&wait=1h'), () => 0)).toEqual({ index: 7, waitMs: MAX_WAIT_MS });
    expect(parseBlockingParams(new URLSearchParams('index=7&wait=120000ms'), () => 0).waitMs).toBe(120_000);
    const jittered = parseBlockingParams(new URLSearchParams('wait=160s'), () => 0.999_999).waitMs;
    expect(jittered).toBeGreaterThan(160_000);
    expect(jittered).toBeLessThan(170_000);
    expect(parseBlockingParams(new URLSearchParams('wait=-5s'), () => 0).waitMs).toBe(DEFAULT_WAIT_MS);
    expect(parseBlockingParams(new URLSearchParams('index=18446744073709551615'), () => 0).index).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => parseBlockingParams(new URLSearchParams('index=18446744073709551616'))).toThrow('Invalid index');
    expect(() => parseBlockingParams(new URLSearchParams('index=1x'))).toThrow('Invalid index');
    expect(() => parseBlockingParams(new URLSearchParams('wait=5'))).toThrow('Invalid wait time');
  });
});

describe('held queries', () => {
  it('answer at once without index or with index 0, and the index is never 0', async () => {
    const t = testServer();
    expect(await index(t, '/v1/catalog/services')).toBe(1);
    expect(await index(t, '/v1/catalog/services?index=0&wait=1m')).toBe(1);
  });

  it('wake on a change of the watched service only, not on other services', async () => {
    const t = testServer();
    await t.req('PUT', '/v1/agent/service/register', { Name: 'web', ID: 'w1' });
    const i = await index(t, '/v1/health/service/web');
    const held = track(t, `/v1/health/service/web?index=${i}&wait=5m`);
    await t.clock.advance(100);
    await t.req('PUT', '/v1/agent/service/register', { Name: 'db', ID: 'd1' });
    await t.req('PUT', '/v1/agent/check/register', { Name: 'node-check', TTL: '10s', ServiceID: 'd1' });
    await t.clock.advance(100);
    expect(held.state.done).toBe(false);
    await t.req('PUT', '/v1/agent/service/register', { Name: 'web', ID: 'w2' });
    await held.promise;
    expect(held.state.index).toBeGreaterThan(i);
    expect((held.state.body as unknown[]).length).toBe(2);
  });

  it('a health change moves health/service but not catalog/services', async () => {
    const t = testServer();
    await t.req('PUT', '/v1/agent/service/register', { Name: 'web', Check: { TTL: '10s' } });
    const ci = await index(t, '/v1/catalog/services');
    const hi = await index(t, '/v1/health/service/web');
    const catalogHeld = track(t, `/v1/catalog/services?index=${ci}`);
    const healthHeld = track(t, `/v1/health/service/web?index=${hi}`);
    await t.req('PUT', '/v1/agent/check/pass/service:web');
    await healthHeld.promise;
    expect(healthHeld.state.index).toBeGreaterThan(hi);
    await t.clock.advance(10);
    expect(catalogHeld.state.done).toBe(false);
    await t.close();
    await catalogHeld.promise;
    expect(catalogHeld.state.index).toBe(ci);
  });

  it('an output-only heartbeat does not wake anybody', async () => {
    const t = testServer();
    await t.req('PUT', '/v1/agent/service/register', { Name: 'web', Check: { TTL: '10s', Status: 'passing' } });
    const hi = await index(t, '/v1/health/service/web');
    const held = track(t, `/v1/health/service/web?index=${hi}`);
    await t.req('PUT', '/v1/agent/check/pass/service:web?note=again');
    await t.clock.advance(10);
    expect(held.state.done).toBe(false);
  });

  it('a watcher of a service that does not exist yet wakes when it appears, and on its deletion', async () => {
    const t = testServer();
    const i = await index(t, '/v1/health/service/later');
    const held = track(t, `/v1/health/service/later?index=${i}`);
    await t.req('PUT', '/v1/agent/service/register', { Name: 'other' });
    await t.clock.advance(10);
    expect(held.state.done).toBe(false);
    await t.req('PUT', '/v1/agent/service/register', { Name: 'later' });
    await held.promise;
    const created = held.state.index;
    expect(created).toBeGreaterThan(i);
    const gone = track(t, `/v1/health/service/later?index=${created}`);
    await t.req('PUT', '/v1/agent/service/deregister/later');
    await gone.promise;
    expect(gone.state.index).toBeGreaterThan(created);
    expect(gone.state.body).toEqual([]);
    // The tombstone keeps the index: it does not fall back after the deletion.
    expect(await index(t, '/v1/health/service/later')).toBe(gone.state.index);
  });

  it('time out after wait (jitter 0) with the unchanged index; cap at 10 minutes; default 5 minutes', async () => {
    const t = testServer();
    const i = await index(t, '/v1/catalog/services');
    const short = track(t, `/v1/catalog/services?index=${i}&wait=30s`);
    const capped = track(t, `/v1/catalog/services?index=${i}&wait=1h`);
    const plain = track(t, `/v1/catalog/services?index=${i}`);
    await t.clock.advance(29_999);
    expect(short.state.done).toBe(false);
    await t.clock.advance(1);
    await short.promise;
    expect(short.state.index).toBe(i);
    await t.clock.advance(5 * 60_000 - 30_000 - 1);
    expect(plain.state.done).toBe(false);
    await t.clock.advance(1);
    await plain.promise;
    await t.clock.advance(5 * 60_000 - 1);
    expect(capped.state.done).toBe(false);
    await t.clock.advance(1);
    await capped.promise;
    expect(capped.state.index).toBe(i);
  });

  it('answers at once when the index is ahead of anything this server handed out', async () => {
    const t = testServer();
    const r = await t.req('GET', '/v1/catalog/services?index=5000&wait=1m');
    expect(r.statusCode).toBe(200);
    expect(Number(r.headers['x-consul-index'])).toBe(1);
  });

  it('release every held query on shutdown with the current index', async () => {
    const t = testServer();
    const i = await index(t, '/v1/catalog/services');
    const held = Array.from({ length: 50 }, (_, n) => track(t, `/v1/health/service/s${n}?index=${i}`));
    await t.clock.advance(10);
    expect(held.every((h) => !h.state.done)).toBe(true);
    await t.close();
    await Promise.all(held.map((h) => h.promise));
    expect(held.every((h) => h.state.index === i)).toBe(true);
  });

  it('hold thousands of queries and wake only those of the changed service', async () => {
    const t = testServer();
    await t.req('PUT', '/v1/agent/service/register', { Name: 'hot' });
    const i = await index(t, '/v1/catalog/services');
    const hot = Array.from({ length: 1000 }, () => track(t, `/v1/health/service/hot?index=${i}`));
    const cold = Array.from({ length: 1000 }, (_, n) => track(t, `/v1/health/service/cold${n % 10}?index=${i}`));
    await t.clock.advance(10);
    const metrics = (await t.req('GET', '/v1/agent/metrics?format=prometheus')).body;
    expect(metrics).toMatch(/roster_blocking_queries_held 2000/);
    await t.req('PUT', '/v1/agent/service/register', { Name: 'hot', Port: 2 });
    await Promise.all(hot.map((h) => h.promise));
    await t.clock.advance(10);
    expect(cold.filter((h) => h.state.done)).toHaveLength(0);
    expect((await t.req('GET', '/v1/agent/metrics?format=prometheus')).body).toMatch(/roster_blocking_queries_held 1000/);
  });
});
