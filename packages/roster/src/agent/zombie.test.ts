/**
 * Zombie instances: an announced process whose real node:http server stopped listening (closed,
 * or a failed listen: an `'error'` event) reports `critical` within one heartbeat and says so in
 * its events; listening again makes it `passing` again. Memory registry on a FakeClock, so "one
 * heartbeat" is exact (ttl 3 s → a heartbeat every 1 s). roster serve: server/src/agent-zombie.e2e.test.ts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { announce } from './announce.js';
import type { AnnouncementEvent } from './announcement.js';
import { memoryFixture } from './test-support.js';

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function listeningServer(port = 0): Promise<http.Server> {
  const server = http.createServer((_req, res) => res.end('ok'));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

const closeServer = (server: http.Server) => new Promise<void>((resolve) => server.close(() => resolve()));
const serverEvents = (events: AnnouncementEvent[]) =>
  events
    .filter((e) => e.type === 'server')
    .map((e) => (e.type === 'server' ? `${e.listening}${e.error ? `:${e.error.message}` : ''}` : ''));

async function announced(f: ReturnType<typeof memoryFixture>, server: http.Server, port?: number) {
  const a = await announce({
    registry: f.registry,
    clock: f.clock,
    service: 'orders',
    address: '127.0.0.1',
    ...(port === undefined ? {} : { port }),
    id: 'o-1',
    ttl: '3s',
    server,
    signals: false,
    lagWatchdog: false,
    drain: { propagationMs: 0 },
  });
  const events: AnnouncementEvent[] = [];
  a.onEvent((e) => events.push(e));
  return { a, events };
}

describe('announce: a server that stopped listening is reported critical', () => {
  it('closed: critical within one heartbeat, with a server event; listening again: passing', async () => {
    const f = memoryFixture();
    const server = await listeningServer();
    const { a, events } = await announced(f, server);
    await f.clock.advance(1000);
    expect(f.health('o-1')).toBe('passing');

    await closeServer(server);
    await f.clock.advance(1000); // one heartbeat
    expect(f.health('o-1')).toBe('critical');
    expect(a.health).toEqual({ status: 'critical', output: 'server is not listening' });
    expect(serverEvents(events)).toEqual(['false']);
    expect(events.find((e) => e.type === 'health')).toMatchObject({ status: 'critical', output: 'server is not listening' });
    await f.clock.advance(5000); // stays critical, and registered (the heartbeat goes on)
    expect(f.health('o-1')).toBe('critical');

    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    await f.clock.advance(0);
    expect(f.health('o-1')).toBe('passing');
    expect(serverEvents(events)).toEqual(['false', 'true']);
    await a.drain();
  });

  it('closed while a request is still running (no close event yet): still critical within one heartbeat', async () => {
    const f = memoryFixture();
    let hold: http.ServerResponse | undefined;
    const received = new Promise<void>((resolve) => {
      const server = http.createServer((_req, res) => {
        hold = res;
        resolve();
      });
      servers.push(server);
    });
    const server = servers.at(-1) as http.Server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const request = http.get({ host: '127.0.0.1', port }, (res) => res.resume());
    request.on('error', () => {});
    await received;
    const { a, events } = await announced(f, server);
    let closed = false;
    server.close(() => (closed = true));
    try {
      await f.clock.advance(1000);
      expect(closed).toBe(false); // Node's 'close' waits for the running request
      expect(f.health('o-1')).toBe('critical');
      expect(serverEvents(events)).toEqual(['false']);
    } finally {
      hold?.end('late');
      await a.drain();
    }
  });

  it('a failed listen (an error event, the port is taken): critical, the error in the event and the output', async () => {
    const f = memoryFixture();
    const holder = await listeningServer();
    const { port } = holder.address() as AddressInfo;
    const server = http.createServer();
    servers.push(server);
    server.on('error', () => {}); // the application handles it and keeps running: a zombie
    const { a, events } = await announced(f, server, port);
    expect(f.health('o-1')).toBe('passing'); // not listening yet: announcing before listen() is fine
    server.listen(port, '127.0.0.1');
    await new Promise((resolve) => server.once('error', resolve));
    await f.clock.advance(0);
    expect(f.health('o-1')).toBe('critical');
    expect(serverEvents(events)).toEqual([expect.stringMatching(/^false:.*EADDRINUSE/)]);
    expect(a.health.output).toMatch(/^server is not listening: .*EADDRINUSE/);
    await a.drain();
  });

  it('a drain closes the server without a server event; the drain is the one to report', async () => {
    const f = memoryFixture();
    const server = await listeningServer();
    const { a, events } = await announced(f, server);
    const result = await a.drain();
    await f.clock.advance(5000);
    expect(result.deregistered).toBe(true);
    expect(serverEvents(events)).toEqual([]);
    expect(f.health('o-1')).toBe('absent');
  });
});
