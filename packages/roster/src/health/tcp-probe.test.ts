import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { probeTimeout } from './probe.js';
import { parseTcpTarget, tcpProbe } from './tcp-probe.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A listening loopback server that counts connections and remembers whether they closed. */
async function listening(): Promise<{ server: net.Server; port: number; sockets: net.Socket[] }> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  cleanups.push(async () => {
    for (const s of sockets) s.destroy();
    if (server.listening) await close();
  });
  return { server, port: (server.address() as net.AddressInfo).port, sockets };
}

const never = new AbortController().signal;

describe('tcpProbe on real loopback sockets', () => {
  it('passes when the target accepts, and closes the connection', async () => {
    const { port, sockets } = await listening();
    const target = `127.0.0.1:${port}`;
    expect(await tcpProbe({ target, timeoutMs: 10_000 })(never)).toEqual({ status: 'passing', output: `TCP connect ${target}: Success` });
    // The server sees the probe hang up: nothing is left open.
    await vi.waitFor(() => expect(sockets.length === 1 && sockets.every((s) => s.readableEnded || s.destroyed)).toBe(true), {
      timeout: 5000,
    });
  });

  it('is critical when the target was closed (connection refused)', async () => {
    const { server, port } = await listening();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const target = `127.0.0.1:${port}`;
    expect(await tcpProbe({ target, timeoutMs: 10_000 })(never)).toEqual({
      status: 'critical',
      output: `TCP connect ${target}: connect ECONNREFUSED ${target}`,
    });
  });

  it('connects to an IPv6 target in brackets when ::1 is available', async (ctx) => {
    const server = net.createServer((s) => s.destroy());
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(0, '::1', () => resolve(true));
    });
    if (!ok) ctx.skip(); // no IPv6 loopback in this environment
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const target = `[::1]:${(server.address() as net.AddressInfo).port}`;
    expect(await tcpProbe({ target, timeoutMs: 10_000 })(never)).toEqual({ status: 'passing', output: `TCP connect ${target}: Success` });
  });

  it('stops when the caller aborts', async () => {
    const { port } = await listening();
    const result = await tcpProbe({ target: `127.0.0.1:${port}`, timeoutMs: 10_000 })(AbortSignal.abort(probeTimeout(2000)));
    expect(result).toEqual({ status: 'critical', output: `TCP connect 127.0.0.1:${port}: timed out after 2s` });
  });

  // A target that never accepts: a listening socket whose accept queue is full makes Linux drop
  // further SYNs, so connect() hangs. Node always accepts, so the listener is a python3 process
  // with backlog 0 that never calls accept(); we fill its queue, then probe.
  const python = spawnSync('python3', ['-c', 'print(1)']).status === 0;
  it.skipIf(!python || process.platform !== 'linux')('times out on a target whose accept queue is full', async () => {
    const child: ChildProcess = spawn(
      'python3',
      [
        '-c',
        'import socket,sys,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(120)',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    cleanups.push(() => {
      child.kill('SIGKILL');
    });
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout?.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      child.once('exit', (code) => reject(new Error(`python3 exited with ${code}`)));
    });
    // Fill the accept queue: connect until one connection does not complete.
    for (let i = 0; i < 16; i++) {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.on('error', () => {});
      cleanups.push(() => {
        socket.destroy();
      });
      const connected = await new Promise<boolean>((resolve) => {
        socket.once('connect', () => resolve(true));
        setTimeout(() => resolve(false), 300);
      });
      if (!connected) break;
    }
    const target = `127.0.0.1:${port}`;
    expect(await tcpProbe({ target, timeoutMs: 300 })(never)).toEqual({
      status: 'critical',
      output: `TCP connect ${target}: timed out after 300ms`,
    });
  });
});

describe('parseTcpTarget', () => {
  it.each([
    ['127.0.0.1:80', { host: '127.0.0.1', port: 80 }],
    ['db.internal:5432', { host: 'db.internal', port: 5432 }],
    ['[::1]:8500', { host: '::1', port: 8500 }],
    ['::1:8500', { host: '::1', port: 8500 }],
  ])('%s', (target, parsed) => {
    expect(parseTcpTarget(target)).toEqual(parsed);
  });

  it.each(['127.0.0.1', ':80', 'host:0', 'host:65536', 'host:port', '[::1:80', 'a b:80'])('rejects %s', (target) => {
    expect(() => parseTcpTarget(target)).toThrow(expect.objectContaining({ code: 'ROSTER_ERR_INVALID_ARGUMENT', field: 'target' }));
  });

  it('rejects a bad timeout when the probe is created', () => {
    expect(() => tcpProbe({ target: 'h:1', timeoutMs: Number.NaN })).toThrow(expect.objectContaining({ field: 'timeoutMs' }));
  });
});
