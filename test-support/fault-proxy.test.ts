/**
 * The fault proxy itself, against real loopback TCP servers: each fault does what it says to
 * open and new connections, and `heal()` restores forwarding.
 */
import { once } from 'node:events';
import { createServer, type Server, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from './fault-proxy.js';

interface Target {
  readonly server: Server;
  readonly endpoint: string;
  /** Connections the target accepted. */
  connections: number;
  /** Bytes the target received. */
  received: number;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A target that answers every chunk with `answer(chunk)` (default: echo). */
async function startTarget(answer: (chunk: Buffer) => Buffer = (c) => c): Promise<Target> {
  const sockets = new Set<Socket>();
  const target = {
    connections: 0,
    received: 0,
  } as Target;
  const server = createServer((socket) => {
    target.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      target.received += chunk.length;
      socket.write(answer(chunk));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  Object.assign(target, { server, endpoint: `127.0.0.1:${port}` });
  cleanups.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return target;
}

async function proxyTo(target: Target): Promise<FaultProxy> {
  const proxy = await startFaultProxy(target.endpoint);
  cleanups.push(() => proxy.close());
  return proxy;
}

interface Client {
  readonly socket: Socket;
  /** Everything received so far. */
  data(): string;
  /** 'open', 'ended' (FIN), or the error code that closed it. */
  state(): string;
}

async function connect(proxy: FaultProxy): Promise<Client> {
  const socket = new Socket();
  let data = '';
  let state = 'open';
  socket.on('data', (c: Buffer) => (data += c.toString()));
  socket.on('end', () => {
    if (state === 'open') state = 'ended';
  });
  socket.on('error', (e: NodeJS.ErrnoException) => (state = e.code ?? 'error'));
  socket.on('close', () => {
    if (state === 'open') state = 'closed';
  });
  socket.connect(proxy.port, '127.0.0.1');
  await once(socket, 'connect');
  cleanups.push(() => void socket.destroy());
  return { socket, data: () => data, state: () => state };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `probe()` is true, polling; fails after `limitMs`. */
async function until(what: string, probe: () => boolean, limitMs = 5000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${limitMs} ms`);
    await sleep(10);
  }
}

describe('fault proxy', () => {
  it('forwards both ways and counts bytes', async () => {
    const target = await startTarget();
    const proxy = await proxyTo(target);
    const client = await connect(proxy);
    client.socket.write('hello');
    await until('echo', () => client.data() === 'hello');
    expect(proxy.stats()).toMatchObject({ accepted: 1, open: 1, bytesUp: 5, bytesDown: 5, faulted: 0 });
  });

  it('delay: every chunk arrives later, in order', async () => {
    const target = await startTarget();
    const proxy = await proxyTo(target);
    const client = await connect(proxy);
    proxy.delay(300);
    const start = Date.now();
    client.socket.write('a');
    await sleep(20);
    client.socket.write('b');
    await until('both echoes', () => client.data() === 'ab');
    // Up and down are each delayed: at least 2 × 300 ms for a round trip (a lower bound only).
    expect(Date.now() - start).toBeGreaterThanOrEqual(590);
    proxy.heal();
    client.socket.write('c');
    await until('undelayed echo', () => client.data() === 'abc');
  });

  it('delay down: only answers are late', async () => {
    const target = await startTarget();
    const proxy = await proxyTo(target);
    const client = await connect(proxy);
    proxy.delay(400, 'down');
    client.socket.write('q');
    await until('target received at once', () => target.received === 1, 300);
    expect(client.data()).toBe('');
    await until('late answer', () => client.data() === 'q');
  });

  it('drop: open connections are closed, new ones closed at once; heal accepts again', async () => {
    const target = await startTarget();
    const proxy = await proxyTo(target);
    const open = await connect(proxy);
    proxy.drop();
    await until('open connection closed', () => open.state() !== 'open');
    expect(open.state()).toBe('ended');
    const fresh = await connect(proxy);
    await until('new connection closed', () => fresh.state() !== 'open');
    proxy.heal();
    const healed = await connect(proxy);
    healed.socket.write('x');
    await until('echo after heal', () => healed.data() === 'x');
  });

  it('reset: open and new connections get ECONNRESET', async () => {
    const target = await startTarget();
    const proxy = await proxyTo(target);
    const open = await connect(proxy);
    proxy.reset();
    await until('open connection reset', () => open.state() !== 'open');
    expect(open.state()).toBe('ECONNRESET');
    const fresh = new Socket();
    const error = await new Promise<NodeJS.ErrnoException>((resolve) => {
      fresh.once('error', resolve);
      fresh.connect(proxy.port, '127.0.0.1');
    });
    expect(error.code).toBe('ECONNRESET');
    expect(proxy.stats().faulted).toBe(2);
  });

  it('blackhole: accepts, answers nothing, reaches no target; heal delivers the held bytes', async () => {
    const target = await startTarget();
    const proxy = await proxyTo(target);
    const open = await connect(proxy);
    await until('target saw the first connection', () => target.connections === 1);
    proxy.blackhole();
    open.socket.write('held');
    const fresh = await connect(proxy);
    fresh.socket.write('new');
    await sleep(300);
    expect(open.data()).toBe('');
    expect(fresh.data()).toBe('');
    expect(target.received).toBe(0);
    expect(target.connections).toBe(1); // the new connection did not reach the target
    expect([open.state(), fresh.state()]).toEqual(['open', 'open']);
    proxy.heal();
    await until('held bytes delivered', () => open.data() === 'held' && fresh.data() === 'new');
    expect(target.connections).toBe(2);
  });

  it('cut: an answer arrives half, then the connection is reset', async () => {
    const target = await startTarget(() => Buffer.alloc(1000, 'z'));
    const proxy = await proxyTo(target);
    const client = await connect(proxy);
    proxy.cut();
    client.socket.write('go');
    await until('reset', () => client.state() !== 'open');
    expect(client.state()).toBe('ECONNRESET');
    expect(client.data().length).toBeGreaterThan(0);
    expect(client.data().length).toBeLessThan(1000);
  });

  it('cut with probability 0 cuts nothing', async () => {
    const target = await startTarget();
    const proxy = await proxyTo(target);
    proxy.cut(0);
    const client = await connect(proxy);
    client.socket.write('ok');
    await until('echo', () => client.data() === 'ok');
    expect(client.state()).toBe('open');
  });

  it('partition up: the target receives nothing; partition down: it receives, the client gets nothing', async () => {
    const target = await startTarget();
    const proxy = await proxyTo(target);
    const client = await connect(proxy);
    await until('connected upstream', () => target.connections === 1);
    proxy.partition('up');
    client.socket.write('lost');
    await sleep(200);
    expect(target.received).toBe(0);
    proxy.partition('down');
    client.socket.write('seen');
    await until('target received', () => target.received === 4);
    await sleep(200);
    expect(client.data()).toBe('');
    proxy.heal();
    client.socket.write('!');
    await until('echo after heal', () => client.data() === '!');
  });

  it('retarget: new connections go to the new target', async () => {
    const a = await startTarget(() => Buffer.from('A'));
    const b = await startTarget(() => Buffer.from('B'));
    const proxy = await proxyTo(a);
    const first = await connect(proxy);
    first.socket.write('?');
    await until('answer of A', () => first.data() === 'A');
    proxy.retarget(b.endpoint);
    const second = await connect(proxy);
    second.socket.write('?');
    await until('answer of B', () => second.data() === 'B');
  });

  it('refuses a non-loopback target and bad fault parameters', async () => {
    await expect(startFaultProxy('10.0.0.1:80')).rejects.toThrow(/loopback/);
    await expect(startFaultProxy('nonsense')).rejects.toThrow(/host:port/);
    const target = await startTarget();
    const proxy = await proxyTo(target);
    expect(() => proxy.cut(2)).toThrow(/probability/);
    expect(() => proxy.delay(-1)).toThrow(/ms/);
    expect(proxy.fault).toEqual({ kind: 'none' });
  });
});
