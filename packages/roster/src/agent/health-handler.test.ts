import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { HealthSource } from './announcement.js';
import { attachHealth } from './attach-health.js';
import { fastifyHealth, type HealthReply } from './fastify-health.js';
import { healthHandler, healthResponse } from './health-handler.js';
import type { AgentHealth } from './self-health.js';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** A health source a test sets directly. */
function source(health: AgentHealth = { status: 'passing', output: '' }): HealthSource & { health: AgentHealth } {
  return { health };
}

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise((resolve) => server.close(resolve)));
  return (server.address() as AddressInfo).port;
}

async function call(port: number, path: string, method = 'GET') {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type'), allow: res.headers.get('allow') };
}

describe('healthResponse', () => {
  it.each([
    [{ status: 'passing', output: '' }, 200, 'passing\n'],
    [{ status: 'passing', output: 'ok' }, 200, 'passing: ok\n'],
    [{ status: 'warning', output: 'event loop lag 1200 ms' }, 429, 'warning: event loop lag 1200 ms\n'],
    [{ status: 'critical', output: 'draining' }, 503, 'critical: draining\n'],
  ] as const)('%j → %i', (health, statusCode, body) => {
    expect(healthResponse(health)).toEqual({ statusCode, body });
  });
});

describe('healthHandler', () => {
  it('answers the health path and leaves every other request to the listener', async () => {
    const health = source();
    const handle = healthHandler(health);
    const port = await listen(
      http.createServer((req, res) => {
        if (handle(req, res)) return;
        res.end(`app ${req.url}`);
      }),
    );
    expect(await call(port, '/health')).toEqual({ status: 200, body: 'passing\n', type: 'text/plain; charset=utf-8', allow: null });
    expect(await call(port, '/health?verbose=1')).toMatchObject({ status: 200 });
    expect(await call(port, '/healthz')).toMatchObject({ status: 200, body: 'app /healthz' });
    expect(await call(port, '/orders')).toMatchObject({ status: 200, body: 'app /orders' });
    health.health = { status: 'warning', output: 'event loop lag 1500 ms' };
    expect(await call(port, '/health')).toMatchObject({ status: 429, body: 'warning: event loop lag 1500 ms\n' });
    health.health = { status: 'critical', output: 'draining' };
    expect(await call(port, '/health')).toMatchObject({ status: 503, body: 'critical: draining\n' });
    expect(await call(port, '/health', 'HEAD')).toMatchObject({ status: 503, body: '' });
    expect(await call(port, '/health', 'POST')).toMatchObject({ status: 405, allow: 'GET, HEAD' });
  });
});

describe('attachHealth', () => {
  it('adds /health to a server without changing its other routes, and can be undone', async () => {
    const health = source({ status: 'critical', output: 'draining' });
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      seen.push(req.url ?? '');
      res.writeHead(404).end('not found');
    });
    const port = await listen(server);
    const detach = attachHealth(server, health);
    expect(server.listenerCount('request')).toBe(1);
    expect(await call(port, '/health')).toMatchObject({ status: 503, body: 'critical: draining\n' });
    expect(await call(port, '/other')).toMatchObject({ status: 404, body: 'not found' });
    // The application's listener never saw the health request (no double answer).
    expect(seen).toEqual(['/other']);
    detach();
    detach();
    expect(await call(port, '/health')).toMatchObject({ status: 404 });
  });

  it('serves another path when asked', async () => {
    const server = http.createServer((_req, res) => res.end('app'));
    const port = await listen(server);
    attachHealth(server, source(), '/-/ready');
    expect(await call(port, '/-/ready')).toMatchObject({ status: 200, body: 'passing\n' });
    expect(await call(port, '/health')).toMatchObject({ body: 'app' });
  });
});

describe('fastifyHealth', () => {
  it('sets the code and headers on the reply and returns the body', async () => {
    const calls: string[] = [];
    const reply: HealthReply = {
      code: (n) => calls.push(`code ${n}`),
      header: (name, value) => calls.push(`${name}: ${value}`),
    };
    const body = await fastifyHealth(source({ status: 'warning', output: 'slow' }))({}, reply);
    expect(body).toBe('warning: slow\n');
    expect(calls).toEqual(['code 429', 'content-type: text/plain; charset=utf-8', 'cache-control: no-store']);
  });
});
