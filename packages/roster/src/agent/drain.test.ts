/**
 * The drain over real loopback sockets: a node:http server under load, announced to a memory
 * registry on the system clock, drained while clients keep calling.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryRegistry } from '../registry/memory.js';
import { MemoryStore } from '../registry/memory-store.js';
import { announce } from './announce.js';
import { attachHealth } from './attach-health.js';
import type { AnnounceOptions } from './announce-options.js';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A server whose `/work?ms=N` answers 200 after N ms, `/hang` never, `/stream` sends its head at once and ends after 300 ms. */
async function startServer(timeline: string[]) {
  const received = new Set<string>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const id = String(req.headers['x-id'] ?? '');
    received.add(id);
    if (url.pathname === '/hang') return;
    if (url.pathname === '/stream') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('part 1;');
      setTimeout(() => res.end('part 2'), 300);
      return;
    }
    setTimeout(() => res.end(`done ${id}`), Number(url.searchParams.get('ms') ?? 0));
  });
  server.on('close', () => timeline.push('server closed'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => server.closeAllConnections());
  cleanup.push(() => new Promise((resolve) => server.close(resolve)));
  return { server, received, port: (server.address() as AddressInfo).port };
}

interface Outcome {
  readonly status?: number;
  readonly body?: string;
  readonly error?: string;
}

function request(port: number, path: string, id: string, agent: http.Agent): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent, headers: { 'x-id': id } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
  });
}

/** Registry changes of the service as lines in the shared timeline (`registry: passing|critical|absent`). */
function watchRegistry(store: MemoryStore, service: string, timeline: string[]) {
  store.subscribe(service, (s) => {
    const line = `registry: ${s.instances[0]?.health ?? 'absent'}`;
    if (timeline.filter((l) => l.startsWith('registry:')).at(-1) !== line) timeline.push(line);
  });
}

async function announced(options: Partial<AnnounceOptions> & Pick<AnnounceOptions, 'server'>, timeline: string[]) {
  const store = new MemoryStore();
  const registry = memoryRegistry({ store });
  cleanup.push(() => registry.close());
  watchRegistry(store, 'orders', timeline);
  const a = await announce({ registry, service: 'orders', signals: false, lagWatchdog: false, ...options });
  a.onEvent((e) => {
    if (e.type === 'drain') timeline.push(`drain: ${e.phase}`);
  });
  return { a, registry, store };
}

describe('drain over real sockets', () => {
  it('loses no request during a graceful stop under load', async () => {
    const timeline: string[] = [];
    const { server, received, port } = await startServer(timeline);
    const { a, registry } = await announced({ server, drain: { propagationMs: 300, timeoutMs: 5000 } }, timeline);

    // Aware clients follow the registry as a Resolver would; blind ones call regardless.
    const watching = new AbortController();
    let listed = true;
    void (async () => {
      for await (const s of registry.watch('orders', { signal: watching.signal })) listed = s.instances.some((i) => i.health === 'passing');
    })();
    const outcomes = new Map<string, Outcome & { aware: boolean }>();
    let sending = true;
    let n = 0;
    const loop = async (aware: boolean) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        while (sending) {
          if (aware && !listed) {
            await sleep(5);
            continue;
          }
          const id = `${aware ? 'a' : 'b'}${++n}`;
          const outcome = await request(port, `/work?ms=${n % 40}`, id, agent);
          outcomes.set(id, { ...outcome, aware });
          if (outcome.error) await sleep(5);
        }
      } finally {
        agent.destroy();
      }
    };
    const loops = [...Array.from({ length: 4 }, () => loop(true)), ...Array.from({ length: 4 }, () => loop(false))];
    await sleep(150);
    // A slow request, accepted before the drain, still running when the server stops listening.
    const slow = request(port, '/work?ms=500', 'slow', new http.Agent({ keepAlive: true }));
    await sleep(20);
    const result = await a.drain();
    const slowOutcome = await slow;
    sending = false;
    await Promise.all(loops);
    watching.abort();

    expect(result).toMatchObject({ marked: true, forcedConnections: 0, deregistered: true, errors: [] });
    expect(slowOutcome).toEqual({ status: 200, body: 'done slow' });
    // Every request the server accepted was answered with 200.
    const all = [...outcomes.entries()];
    for (const id of received) {
      if (id === 'slow') continue;
      expect(outcomes.get(id), `request ${id}`).toMatchObject({ status: 200, body: `done ${id}` });
    }
    // Failures are connections the closed server refused (or reset before reading a request).
    const failed = all.filter(([, o]) => o.error !== undefined);
    for (const [id, o] of failed) {
      expect(received.has(id), `failed request ${id} was accepted`).toBe(false);
      expect(['ECONNREFUSED', 'ECONNRESET']).toContain(o.error);
    }
    expect(failed.filter(([, o]) => o.aware)).toEqual([]);
    expect(all.filter(([, o]) => o.status === 200).length).toBeGreaterThan(50);
    expect(all.filter(([, o]) => o.aware && o.status === 200).length).toBeGreaterThan(10);
    // Critical first, then the wait, then the server stopped, then the instance was removed.
    expect(timeline).toEqual([
      'registry: passing',
      'drain: started',
      'registry: critical',
      'drain: marked',
      'drain: propagated',
      'server closed',
      'drain: closed',
      'registry: absent',
      'drain: deregistered',
    ]);
  });

  it('cuts requests still running at drain.timeoutMs, then deregisters', async () => {
    const timeline: string[] = [];
    const { server, port } = await startServer(timeline);
    const { a } = await announced({ server, drain: { propagationMs: 0, timeoutMs: 200 } }, timeline);
    const hanging = request(port, '/hang', 'h', new http.Agent());
    await sleep(50);
    const started = Date.now();
    const result = await a.drain();
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(result).toMatchObject({ forcedConnections: 1, deregistered: true, errors: [] });
    expect((await hanging).error).toBe('ECONNRESET');
    expect(timeline.indexOf('server closed')).toBeLessThan(timeline.indexOf('registry: absent'));
  });

  it('does not wait for keep-alive connections: idle ones close at once, busy ones after their response', async () => {
    const timeline: string[] = [];
    const { server, port } = await startServer(timeline);
    const { a } = await announced({ server, drain: { propagationMs: 0, timeoutMs: 10_000 } }, timeline);
    const idleAgent = new http.Agent({ keepAlive: true });
    const busyAgent = new http.Agent({ keepAlive: true });
    cleanup.push(() => idleAgent.destroy());
    cleanup.push(() => busyAgent.destroy());
    expect(await request(port, '/work', 'idle', idleAgent)).toMatchObject({ status: 200 });
    // Its head (keep-alive) is sent before the drain starts; the body ends 300 ms later.
    const streaming = request(port, '/stream', 'stream', busyAgent);
    await sleep(50);
    const started = Date.now();
    const result = await a.drain();
    // Well under Node's 5 s keep-alive timeout.
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await streaming).toEqual({ status: 200, body: 'part 1;part 2' });
    expect(result).toMatchObject({ forcedConnections: 0, deregistered: true });
  });

  it('responses during the drain tell keep-alive clients to reconnect', async () => {
    const timeline: string[] = [];
    const { server, port } = await startServer(timeline);
    const { a } = await announced({ server, drain: { propagationMs: 300 } }, timeline);
    const agent = new http.Agent({ keepAlive: true });
    cleanup.push(() => agent.destroy());
    const connectionHeader = () =>
      new Promise<string | undefined>((resolve) => {
        http.get({ host: '127.0.0.1', port, path: '/work', agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.headers.connection));
        });
      });
    expect(await connectionHeader()).toBe('keep-alive');
    const drained = a.drain();
    await sleep(50);
    expect(await connectionHeader()).toBe('close');
    await drained;
  });

  it('with attachHealth: /health says critical during the drain while the app keeps serving', async () => {
    const timeline: string[] = [];
    const { server, port } = await startServer(timeline);
    const { a } = await announced({ server, check: { http: '/health' }, drain: { propagationMs: 300 } }, timeline);
    attachHealth(server, a);
    const agent = new http.Agent({ keepAlive: true });
    cleanup.push(() => agent.destroy());
    expect(await request(port, '/health', 'h1', agent)).toEqual({ status: 200, body: 'passing\n' });
    const drained = a.drain();
    await sleep(50);
    expect(await request(port, '/health', 'h2', agent)).toEqual({ status: 503, body: 'critical: draining\n' });
    expect(await request(port, '/work', 'w1', agent)).toEqual({ status: 200, body: 'done w1' });
    expect(await drained).toMatchObject({ forcedConnections: 0, deregistered: true });
  });
});
