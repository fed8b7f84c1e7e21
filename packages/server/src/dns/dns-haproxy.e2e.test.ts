/**
 * A real third-party DNS consumer: HAProxy (Debian haproxy) with a `resolvers` section pointing
 * at roster serve's DNS port and a backend built by `server-template` from an SRV name routes real
 * HTTP requests over loopback to instances registered in roster serve, and follows registrations,
 * health and deregistrations through DNS alone (no HAProxy health checks).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../../../../test-support/system.js';
import { createServer, type RosterServer } from '../index.js';

const HOLD_VALID_S = 1;
/** Generous on a loaded machine: HAProxy re-resolves every `timeout resolve` (500 ms). */
const DEADLINE_MS = 20_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

describe.runIf(requireBinary('haproxy', 'haproxy', 'DNS interface with HAProxy'))('HAProxy server-template on an SRV name', () => {
  const dir = mkdtempSync(join(tmpdir(), 'roster-haproxy-'));
  const backends: Server[] = [];
  let roster: RosterServer;
  let rosterUrl: string;
  let haproxy: ChildProcess | undefined;
  let haproxyLog = '';
  let frontendPort: number;

  /** An HTTP server that answers its name; returns its port. */
  async function backend(name: string): Promise<number> {
    const server = createHttpServer((_req, res) => res.end(name));
    backends.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as { port: number }).port;
  }

  async function put(path: string, body?: unknown): Promise<void> {
    const response = await fetch(`${rosterUrl}${path}`, { method: 'PUT', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    if (!response.ok) throw new Error(`PUT ${path}: ${response.status} ${await response.text()}`);
  }

  async function register(id: string, port: number): Promise<void> {
    await put('/v1/agent/service/register', {
      Name: 'web',
      ID: id,
      Address: '127.0.0.1',
      Port: port,
      Check: { CheckID: `${id}-ttl`, TTL: '10m', Status: 'passing' },
    });
  }

  /** Names of the backends that answered `count` requests through HAProxy (errors as `<status>`). */
  async function route(count: number): Promise<string[]> {
    const seen: string[] = [];
    for (let i = 0; i < count; i++) {
      try {
        const response = await fetch(`http://127.0.0.1:${frontendPort}/`, { signal: AbortSignal.timeout(5000) });
        seen.push(response.ok ? await response.text() : `<${response.status}>`);
      } catch (error) {
        seen.push(`<${(error as Error).name}>`);
      }
    }
    return seen;
  }

  /** Polls until `done(sample)` holds for a sample of requests; returns the ms it took. */
  async function until(what: string, done: (names: Set<string>) => boolean): Promise<number> {
    const start = Date.now();
    let last: string[] = [];
    while (Date.now() - start < DEADLINE_MS) {
      last = await route(12);
      if (done(new Set(last))) return Date.now() - start;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${what}: not within ${DEADLINE_MS} ms; last sample ${last.join(',')}\nHAProxy output:\n${haproxyLog}`);
  }

  beforeAll(async () => {
    roster = createServer({
      port: 0,
      dataDir: join(dir, 'data'),
      logLevel: 'silent',
      sync: 'normal',
      nodeName: 'node-a',
      dns: { port: 0 },
    });
    rosterUrl = (await roster.listen()).url;
    await register('web-a', await backend('a'));
    await register('web-b', await backend('b'));
    frontendPort = await freePort();
    const config = [
      'global',
      '  maxconn 256',
      'defaults',
      '  mode http',
      '  timeout connect 2s',
      '  timeout client 10s',
      '  timeout server 10s',
      'resolvers roster',
      `  nameserver roster 127.0.0.1:${roster.dnsAddress!.port}`,
      '  accepted_payload_size 8192',
      '  resolve_retries 3',
      '  timeout resolve 500ms',
      '  timeout retry 500ms',
      `  hold valid ${HOLD_VALID_S}s`,
      '  hold nx 1s',
      '  hold obsolete 1s',
      '  hold other 1s',
      '  hold timeout 1s',
      '  hold refused 1s',
      'frontend fe',
      `  bind 127.0.0.1:${frontendPort}`,
      '  default_backend web',
      'backend web',
      '  balance roundrobin',
      '  server-template web 6 _web._tcp.service.consul resolvers roster resolve-prefer ipv4 init-addr none',
      '',
    ].join('\n');
    const file = join(dir, 'haproxy.cfg');
    writeFileSync(file, config);
    haproxy = spawn('haproxy', ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    haproxy.stdout!.on('data', (chunk: Buffer) => (haproxyLog += chunk.toString()));
    haproxy.stderr!.on('data', (chunk: Buffer) => (haproxyLog += chunk.toString()));
  }, 60_000);

  afterAll(async () => {
    if (haproxy && haproxy.exitCode === null) {
      const exited = new Promise((resolve) => haproxy!.once('exit', resolve));
      haproxy.kill('SIGTERM');
      await exited;
    }
    for (const server of backends) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    await roster?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('routes to the registered instances, then follows a new one, a critical one and a deregistered one', async () => {
    // Both registered instances get traffic once HAProxy resolved the SRV name.
    await until('both instances receive traffic', (names) => names.has('a') && names.has('b'));

    // A new instance starts receiving traffic.
    await register('web-c', await backend('c'));
    const added = await until('the new instance receives traffic', (names) => names.has('c'));

    // A critical instance stops receiving traffic (its process still answers HTTP: only DNS changed).
    await put('/v1/agent/check/fail/web-a-ttl');
    const critical = await until(
      'the critical instance stops receiving traffic',
      (names) => !names.has('a') && names.has('b') && names.has('c'),
    );
    expect(new Set(await route(30))).toEqual(new Set(['b', 'c']));

    // A deregistered instance stops receiving traffic.
    await put('/v1/agent/service/deregister/web-b');
    const removed = await until('the deregistered instance stops receiving traffic', (names) => names.size === 1 && names.has('c'));
    expect(new Set(await route(30))).toEqual(new Set(['c']));

    // The critical one passes again and is back.
    await put('/v1/agent/check/pass/web-a-ttl');
    await until('the recovered instance receives traffic again', (names) => names.has('a') && names.has('c'));
    console.info(
      `HAProxy followed DNS: new instance after ${added} ms, critical out after ${critical} ms, deregistered out after ${removed} ms (hold valid ${HOLD_VALID_S} s)`,
    );
  }, 120_000);
});
