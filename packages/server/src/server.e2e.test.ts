/** roster serve over real sockets: blocking queries, shutdown, disconnects, events, metrics. */
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { systemClock } from '@rosterjs/roster';
import { afterEach, describe, expect, it } from 'vitest';
import { ListenError, type RosterEvent } from './index.js';
import { closeAll, testServer } from './testing/test-server.test-helper.js';

afterEach(closeAll);

async function listening(options: Parameters<typeof testServer>[0] = {}) {
  const t = testServer(options);
  const { url } = await t.server.listen();
  return { t, url };
}

const put = (url: string, body?: unknown) =>
  fetch(url, { method: 'PUT', ...(body === undefined ? {} : { body: JSON.stringify(body) }) }).then(async (r) => {
    await r.arrayBuffer();
    return r.status;
  });

/** The number of blocking queries the server holds now (its own metric). */
async function heldQueries(url: string): Promise<number> {
  const metrics = await (await fetch(`${url}/v1/agent/metrics?format=prometheus`)).text();
  return Number(/roster_blocking_queries_held (\d+)/.exec(metrics)?.[1]);
}

describe('over real sockets', () => {
  it('holds a blocking query and wakes it on a relevant change', async () => {
    const { url } = await listening({ clock: systemClock });
    expect(await put(`${url}/v1/agent/service/register`, { Name: 'web', ID: 'w1' })).toBe(200);
    const first = await fetch(`${url}/v1/health/service/web`);
    const index = Number(first.headers.get('x-consul-index'));
    await first.arrayBuffer();
    let answered = false;
    const held = fetch(`${url}/v1/health/service/web?index=${index}&wait=30s`).then(async (r) => {
      answered = true;
      return { index: Number(r.headers.get('x-consul-index')), body: (await r.json()) as unknown[] };
    });
    await delay(200);
    expect(answered).toBe(false);
    expect(await put(`${url}/v1/agent/service/register`, { Name: 'other' })).toBe(200);
    await delay(200);
    expect(answered).toBe(false);
    expect(await put(`${url}/v1/agent/service/register`, { Name: 'web', ID: 'w2' })).toBe(200);
    const result = await held;
    expect(result.index).toBeGreaterThan(index);
    expect(result.body).toHaveLength(2);
  });

  it('answers held queries with the current index on shutdown, then stops accepting', async () => {
    const { t, url } = await listening();
    const r0 = await fetch(`${url}/v1/catalog/services`);
    const index = Number(r0.headers.get('x-consul-index'));
    await r0.arrayBuffer();
    const held = Array.from({ length: 20 }, () => fetch(`${url}/v1/catalog/services?index=${index}&wait=10m`));
    // Close only once all 20 are held: on a loaded machine a request still on its way when the
    // shutdown starts meets an idle connection being closed (ECONNRESET), which is not the case
    // under test. Bounded: 10 s at the most.
    for (let i = 0; i < 200 && (await heldQueries(url)) < 20; i++) await delay(50);
    expect(await heldQueries(url)).toBe(20);
    await t.close();
    const answers = await Promise.all(held);
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(Number(a.headers.get('x-consul-index'))).toBe(index);
      await a.arrayBuffer();
    }
    await expect(fetch(`${url}/v1/catalog/services`)).rejects.toThrow();
  });

  it('releases the waiter when the client goes away', async () => {
    const { url } = await listening();
    const held = () => heldQueries(url);
    const controller = new AbortController();
    const pending = fetch(`${url}/v1/catalog/services?index=1&wait=10m`, { signal: controller.signal }).catch(() => 'aborted');
    await delay(200);
    expect(await held()).toBe(1);
    controller.abort();
    expect(await pending).toBe('aborted');
    for (let i = 0; i < 50 && (await held()) !== 0; i++) await delay(20);
    expect(await held()).toBe(0);
  });

  it('streams events as server-sent events and to in-process subscribers', async () => {
    const { t, url } = await listening();
    const seen: RosterEvent[] = [];
    const unsubscribe = t.server.subscribe((e) => seen.push(e));
    const controller = new AbortController();
    const res = await fetch(`${url}/v1/roster/events`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    await put(`${url}/v1/agent/service/register`, { Name: 'web', ID: 'w1', Port: 80, Check: { TTL: '10s' } });
    await put(`${url}/v1/agent/check/pass/service:w1`);
    await put(`${url}/v1/agent/service/deregister/w1`);
    let text = '';
    const decoder = new TextDecoder();
    while (!text.includes('event: deregister')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    controller.abort();
    expect(text).toMatch(/event: register\ndata: .*"instance":\{"id":"w1","service":"web","address":"127.0.0.1","port":80/);
    expect(text).toMatch(/event: health\ndata: .*"checkId":"service:w1".*"status":"passing","previous":"critical"/);
    expect(text).toMatch(/event: deregister\ndata: .*"reason":"deregistered"/);
    expect(seen.map((e) => e.type)).toEqual(['register', 'health', 'deregister']);
    unsubscribe();
  });

  it('serves Prometheus metrics', async () => {
    const { url } = await listening();
    await put(`${url}/v1/agent/service/register`, { Name: 'web', Check: { TTL: '10s', Status: 'passing' } });
    const res = await fetch(`${url}/v1/agent/metrics?format=prometheus`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    for (const name of [
      'roster_instances{service="web",health="passing"} 1',
      'roster_blocking_queries_held',
      'roster_http_request_duration_seconds_bucket',
      'roster_store_commit_duration_seconds_bucket',
      'roster_check_runs_total',
      'process_cpu_seconds_total',
    ]) {
      expect(text).toContain(name);
    }
  });
});

describe('Node server timeouts', () => {
  it('never cut a held answer: no socket timeout; receiving a request, its head and idle keep-alive bounded', async () => {
    const { t } = await listening();
    const s = t.server.httpServer;
    // Bounds receiving the request only (limits.e2e.test.ts shows a held answer outlives it).
    expect(s.requestTimeout).toBe(60_000);
    expect(s.timeout).toBe(0);
    expect(s.headersTimeout).toBe(60_000);
    expect(s.keepAliveTimeout).toBe(75_000);
  });

  it('keep a query held over a real socket past the wait of a short client timeout', async () => {
    const { url } = await listening({ clock: systemClock });
    const started = Date.now();
    const r = await fetch(`${url}/v1/catalog/services?index=1&wait=2s`);
    await r.arrayBuffer();
    expect(r.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
  });
});

describe('listen() failures name the listener', () => {
  /** A TCP port on 127.0.0.1 held by another server (closed after the test). */
  async function takenTcpPort(): Promise<{ port: number; release: () => Promise<void> }> {
    const holder = createTcpServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as AddressInfo).port;
    return { port, release: () => new Promise<void>((resolve) => holder.close(() => resolve())) };
  }

  it('HTTP: a ListenError naming HTTP, the address and "already in use"', async () => {
    const taken = await takenTcpPort();
    try {
      const t = testServer({ port: taken.port });
      const failure = await t.server.listen().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(ListenError);
      expect(failure).toMatchObject({ code: 'ROSTER_SERVER_LISTEN_FAILED', listener: 'HTTP', address: `127.0.0.1:${taken.port}` });
      expect((failure as Error).message).toBe(
        `cannot listen for HTTP on 127.0.0.1:${taken.port}: the address is already in use (EADDRINUSE: is another roster serve or a Consul agent running?)`,
      );
      expect(((failure as Error).cause as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
    } finally {
      await taken.release();
    }
  });

  it('DNS: a ListenError naming DNS, and the HTTP listener is closed again', async () => {
    const taken = await takenTcpPort();
    try {
      const t = testServer({ dns: { port: taken.port } });
      const failure = await t.server.listen().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toMatchObject({
        code: 'ROSTER_SERVER_LISTEN_FAILED',
        listener: 'DNS',
        address: `127.0.0.1:${taken.port} (UDP and TCP)`,
      });
      expect((failure as Error).message).toMatch(
        /^cannot listen for DNS on 127\.0\.0\.1:\d+ \(UDP and TCP\): the address is already in use/,
      );
      // Nothing is left listening: the HTTP listener that had started is closed again.
      expect(t.server.httpServer.listening).toBe(false);
    } finally {
      await taken.release();
    }
  });
});
