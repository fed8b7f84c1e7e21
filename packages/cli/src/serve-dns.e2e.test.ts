/**
 * `roster serve`'s DNS flags, through the built CLI as a separate process (needs `npm run build`):
 * `--dns-port 0` prints the port it picked and answers there over UDP and TCP; `--port 0` alone
 * puts DNS on a free port too; `--dns-port -1` turns DNS off. A port another process holds is
 * refused naming the listener, the address and the flag that moves it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../../../test-support/system.js';
import { dig } from '../../server/src/testing/dig.test-helper.js';

const BIN = resolve(import.meta.dirname, '../dist/bin.js');
const children = new Set<ChildProcess>();
const dirs: string[] = [];

/** Starts `roster serve <args>`; resolves with its stdout once `until` matched it. */
function serve(args: string[], until: RegExp): Promise<{ child: ChildProcess; out: () => string }> {
  const dir = mkdtempSync(join(tmpdir(), 'roster-cli-dns-'));
  dirs.push(dir);
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--port', '0', '--data-dir', dir, '--log-level', 'warn', '--sync', 'normal', ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.add(child);
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`roster serve did not print ${until}: ${out}`)), 30_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (until.test(out)) {
        clearTimeout(timer);
        resolve({ child, out: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    // 'close', not 'exit': its output is all read by then.
    child.once('close', (code) => reject(new Error(`roster serve exited (${code}): ${out}`)));
  });
}

afterAll(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe.runIf(requireBinary('dig', 'dnsutils', 'roster serve DNS flags'))('roster serve DNS flags', () => {
  it('--dns-port 0 prints the port; it answers over UDP and TCP; --dns-domain and --dns-service-ttl apply', async () => {
    const { out } = await serve(
      ['--dns-port', '0', '--dns-domain', 'roster.test', '--dns-service-ttl', 'web=7'],
      /DNS on 127\.0\.0\.1:\d+/,
    );
    const url = /listening on (http:\/\/\S+)/.exec(out())![1]!;
    const port = Number(/DNS on 127\.0\.0\.1:(\d+) \(UDP and TCP, domain roster\.test\.\)/.exec(out())![1]);
    const r = await fetch(`${url}/v1/agent/service/register`, {
      method: 'PUT',
      body: JSON.stringify({ Name: 'web', Address: '127.0.7.1', Port: 80 }),
    });
    expect(r.status).toBe(200);
    for (const transport of ['+notcp', '+tcp']) {
      const answer = await dig(port, transport, 'web.service.roster.test', 'A');
      expect(answer.answer).toEqual([{ name: 'web.service.roster.test.', ttl: 7, type: 'A', data: ['127.0.7.1'] }]);
    }
  });

  it('--port 0 without --dns-port: DNS on a free port (never 8600); --dns-port -1: no DNS', async () => {
    const free = await serve([], /DNS on 127\.0\.0\.1:\d+/);
    expect(Number(/DNS on 127\.0\.0\.1:(\d+)/.exec(free.out())![1])).not.toBe(8600);
    const off = await serve(['--dns-port', '-1'], /listening on http/);
    await new Promise((r) => setTimeout(r, 300));
    expect(off.out()).not.toMatch(/DNS on/);
  });

  it('a bad --dns-port is refused with a message naming the flag', async () => {
    await expect(serve(['--dns-port', '70000'], /never/)).rejects.toThrow(/--dns-port <port>' argument '70000' is invalid/);
  });
});

describe('roster serve on a port another process holds', () => {
  /** Runs `body` with a TCP port on 127.0.0.1 held by this process. */
  async function withTakenPort(body: (port: number) => Promise<void>): Promise<void> {
    const holder = createTcpServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    try {
      await body((holder.address() as AddressInfo).port);
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  }

  it('DNS: exits 1 naming DNS, its address and --dns-port (not the HTTP address)', async () => {
    await withTakenPort(async (port) => {
      const failure = serve(['--dns-port', String(port)], /never/);
      await expect(failure).rejects.toThrow(/exited \(1\)/);
      const message = String(await failure.catch((error: unknown) => error));
      expect(message).toContain(
        `roster serve: cannot listen for DNS on 127.0.0.1:${port} (UDP and TCP): the address is already in use (EADDRINUSE: is another roster serve or a Consul agent running?)\n` +
          'roster serve: --dns-port <port> answers DNS on another port; --dns-port -1 turns DNS off',
      );
    });
  });

  it('HTTP: exits 1 naming HTTP, its address and --port', async () => {
    await withTakenPort(async (port) => {
      const failure = serve(['--port', String(port), '--dns-port', '-1'], /never/);
      const message = String(await failure.catch((error: unknown) => error));
      expect(message).toMatch(/exited \(1\)/);
      expect(message).toContain(
        `roster serve: cannot listen for HTTP on 127.0.0.1:${port}: the address is already in use (EADDRINUSE: is another roster serve or a Consul agent running?)\n` +
          'roster serve: --port <port> serves HTTP on another port (--port 0: any free one)',
      );
    });
  });
});
