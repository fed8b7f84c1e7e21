/**
 * Connection-level limits over real sockets: requests Node's parser refuses get a text answer
 * naming the problem, a request (head and body) must arrive within the request timeout while
 * answers are never cut, and the server caps open connections and held blocking queries with a
 * clear 503 instead of running out of memory or file descriptors.
 */
import { systemClock } from '@rosterjs/roster';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveOptions } from '../options.js';
import { RawConnection, rawRequest } from '../testing/raw-http.test-helper.js';
import { closeAll, testServer } from '../testing/test-server.test-helper.js';

afterEach(closeAll);

const TEXT = 'text/plain; charset=utf-8';
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function listening(options: Parameters<typeof testServer>[0] = {}) {
  const t = testServer({ clock: systemClock, ...options });
  const { port } = await t.server.listen();
  return { t, port };
}

describe('requests the HTTP parser refuses', () => {
  it('answers text/plain naming the problem, then closes', async () => {
    const { port } = await listening();
    const method = await rawRequest(port, 'G@T /v1/agent/self HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(method).toMatchObject({ status: 400, headers: { 'content-type': TEXT, connection: 'close' } });
    expect(method.body).toBe('Bad request: malformed HTTP: Invalid method encountered (HPE_INVALID_METHOD)');
    const header = await rawRequest(port, 'GET /v1/agent/self HTTP/1.1\r\nHost: x\r\nX-A: a\u0001b\r\n\r\n');
    expect(header.status).toBe(400);
    expect(header.body).toMatch(/^Bad request: malformed HTTP: Invalid header value char \(HPE_INVALID_HEADER_TOKEN\)$/);
    const huge = await rawRequest(port, `GET /v1/agent/self HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(huge).toMatchObject({ status: 431, body: 'Request header fields too large (limit 16384 bytes)' });
    const length = await rawRequest(port, 'PUT /v1/agent/service/register HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n');
    expect(length.status).toBe(400);
    expect(length.body).toMatch(/^Bad request: malformed HTTP: Invalid character in Content-Length/);
  });
});

describe('slow requests', () => {
  it('a body trickled slowly is read, blocks nobody, and gets 408 once the request timeout passes', async () => {
    const { t, port } = await listening({ requestTimeoutMs: 1500 });
    const slow = await RawConnection.open(port);
    const started = Date.now();
    slow.write('PUT /v1/agent/service/register HTTP/1.1\r\nHost: x\r\nContent-Length: 200\r\n\r\n{"Name":');
    const trickle = setInterval(() => {
      if (!slow.closed) slow.write(' ');
    }, 100);
    try {
      // Meanwhile other requests are answered at once.
      for (let i = 0; i < 5; i++) {
        const t0 = Date.now();
        const r = await rawRequest(port, 'GET /v1/status/leader HTTP/1.1\r\nHost: x\r\n\r\n');
        expect(r.status).toBe(200);
        expect(Date.now() - t0).toBeLessThan(500);
        await sleep(100);
      }
      const answer = await slow.read(5000);
      expect(answer).toMatchObject({ status: 408, headers: { 'content-type': TEXT } });
      expect(answer.body).toBe('Request timeout: the request (head and body) did not arrive within 1.5 s');
      // Node checks the timeout once a second.
      expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
      expect(Date.now() - started).toBeLessThan(3500);
      expect(await slow.waitClosed()).toBe(true);
    } finally {
      clearInterval(trickle);
      slow.close();
    }
    expect(await t.get('/v1/agent/services')).toEqual({});
  });

  it('a slow body that arrives within the timeout is served normally', async () => {
    const { t, port } = await listening({ requestTimeoutMs: 5000 });
    const body = '{"Name":"web","ID":"slow-1","Port":80}';
    const c = await RawConnection.open(port);
    c.write(`PUT /v1/agent/service/register HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`);
    for (let i = 0; i < body.length; i += 8) {
      c.write(body.slice(i, i + 8));
      await sleep(60);
    }
    expect((await c.read()).status).toBe(200);
    c.close();
    expect(Object.keys(await t.get('/v1/agent/services'))).toEqual(['slow-1']);
  });

  it('never cuts a held blocking query: the timeout covers receiving the request, not the answer', async () => {
    const { t, port } = await listening({ requestTimeoutMs: 500 });
    const index = (await t.req('GET', '/v1/catalog/services')).headers['x-consul-index'];
    const t0 = Date.now();
    const r = await rawRequest(port, `GET /v1/catalog/services?index=${index}&wait=2500ms HTTP/1.1\r\nHost: x\r\n\r\n`, 10_000);
    expect(r.status).toBe(200);
    expect(r.headers['x-consul-index']).toBe(index);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2400);
  });
});

describe('connection limit', () => {
  it('answers a connection over the limit 503 with a text saying why, closes it, and accepts again once one closes', async () => {
    const { port } = await listening({ maxConnections: 3 });
    const open = await Promise.all([1, 2, 3].map(() => RawConnection.open(port)));
    for (const c of open) {
      c.write('GET /v1/status/leader HTTP/1.1\r\nHost: x\r\n\r\n');
      expect((await c.read()).status).toBe(200);
    }
    const over = await RawConnection.open(port);
    over.write('GET /v1/status/leader HTTP/1.1\r\nHost: x\r\n\r\n');
    const refused = await over.read();
    expect(refused).toMatchObject({
      status: 503,
      headers: { 'content-type': TEXT, connection: 'close', 'retry-after': '1' },
      body: 'Too many connections (limit 3); retry later',
    });
    expect(await over.waitClosed()).toBe(true);
    // The open ones keep working; after one closes, a new connection is served.
    open[0]!.write('GET /v1/status/leader HTTP/1.1\r\nHost: x\r\n\r\n');
    expect((await open[0]!.read()).status).toBe(200);
    open[1]!.close();
    await sleep(50);
    expect((await rawRequest(port, 'GET /v1/status/leader HTTP/1.1\r\nHost: x\r\n\r\n')).status).toBe(200);
    for (const c of open) c.close();
  });
});

describe('held blocking query limit', () => {
  it('answers one more held query 503 at once (with the index headers), and holds again once some are answered', async () => {
    const { t, port } = await listening({ maxHeldQueries: 2 });
    const index = (await t.req('GET', '/v1/catalog/services')).headers['x-consul-index'];
    const hold = () => rawRequest(port, `GET /v1/catalog/services?index=${index}&wait=30s HTTP/1.1\r\nHost: x\r\n\r\n`, 10_000);
    const held = [hold(), hold()];
    await sleep(100);
    const t0 = Date.now();
    const refused = await hold();
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(refused).toMatchObject({
      status: 503,
      headers: { 'content-type': TEXT, 'retry-after': '1', 'x-consul-index': index },
      body: 'Too many blocking queries held (limit 2); retry later',
    });
    // Hash-based blocking on agent/service/:id counts too.
    await t.req('PUT', '/v1/agent/service/register', { Name: 'web', ID: 'w1' });
    for (const r of await Promise.all(held)) expect(r.status).toBe(200);
    const svc = await t.req('GET', '/v1/agent/service/w1');
    const hash = svc.headers['x-consul-contenthash'];
    const byHash = [1, 2].map(() => rawRequest(port, `GET /v1/agent/service/w1?hash=${hash}&wait=30s HTTP/1.1\r\nHost: x\r\n\r\n`));
    await sleep(100);
    expect((await rawRequest(port, `GET /v1/agent/service/w1?hash=${hash}&wait=30s HTTP/1.1\r\nHost: x\r\n\r\n`)).status).toBe(503);
    await t.req('PUT', '/v1/agent/service/register', { Name: 'web', ID: 'w1', Tags: ['changed'] });
    for (const r of await Promise.all(byHash)) expect(r.status).toBe(200);
  });
});

describe('limit options', () => {
  it('have documented defaults and are validated once, naming the option', () => {
    const o = resolveOptions({});
    expect([o.requestTimeoutMs, o.maxConnections, o.maxHeldQueries, o.bodyLimit]).toEqual([60_000, 4096, 4096, 1024 * 1024]);
    expect(() => resolveOptions({ maxConnections: 0 })).toThrow(/^maxConnections: must be an integer ≥ 1, got 0$/);
    expect(() => resolveOptions({ maxHeldQueries: 1.5 })).toThrow(/^maxHeldQueries: /);
    expect(() => resolveOptions({ requestTimeoutMs: 10 })).toThrow(/^requestTimeoutMs: must be an integer ≥ 100/);
  });
});
