/**
 * The agent with a real Fastify app (installed in the workspace for the server package; roster
 * itself does not depend on it): the health route, and a drain of `app.server`.
 */
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryRegistry } from '../registry/memory.js';
import { MemoryStore } from '../registry/memory-store.js';
import { announce } from './announce.js';
import type { Announcement } from './announcement.js';
import { fastifyHealth } from './fastify-health.js';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

describe('announce with Fastify', () => {
  it('serves /health as a route and drains app.server without cutting a request', async () => {
    const app = Fastify();
    cleanup.push(() => app.close());
    const store = new MemoryStore();
    const registry = memoryRegistry({ store });
    cleanup.push(() => registry.close());
    let announcement: Announcement | undefined = undefined;
    app.get(
      '/health',
      fastifyHealth(() => announcement),
    );
    app.get('/work', async () => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      return { done: true };
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    const starting = await app.inject({ method: 'GET', url: '/health' });
    expect([starting.statusCode, starting.body]).toEqual([503, 'critical: starting\n']);
    const a = await announce({
      registry,
      service: 'orders',
      server: app.server,
      check: { http: '/health' },
      signals: false,
      lagWatchdog: false,
      drain: { propagationMs: 100 },
    });
    announcement = a;
    expect(store.snapshot('orders').instances[0]).toMatchObject({ port, health: 'passing' });

    const ok = await fetch(`http://127.0.0.1:${port}/health`);
    expect([ok.status, await ok.text(), ok.headers.get('content-type')]).toEqual([200, 'passing\n', 'text/plain; charset=utf-8']);

    const work = fetch(`http://127.0.0.1:${port}/work`).then(async (r) => [r.status, await r.json()]);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const drained = a.drain();
    await new Promise((resolve) => setTimeout(resolve, 30));
    const during = await app.inject({ method: 'GET', url: '/health' });
    expect([during.statusCode, during.body]).toEqual([503, 'critical: draining\n']);
    const head = await app.inject({ method: 'HEAD', url: '/health' });
    expect(head.statusCode).toBe(503);

    expect(await work).toEqual([200, { done: true }]);
    expect(await drained).toMatchObject({ marked: true, forcedConnections: 0, deregistered: true, errors: [] });
    expect(store.snapshot('orders').instances).toEqual([]);
    // Fastify's own close (its onClose hooks) still works after the drain stopped its server.
    await expect(app.close()).resolves.toBeUndefined();
  });
});
