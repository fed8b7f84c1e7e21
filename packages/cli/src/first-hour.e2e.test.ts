/**
 * What a newcomer met in the first hour with the CLI, end to end (the built CLI as a child
 * process against real servers over loopback):
 * - `--registry` pointed at something that is not a registry (a plain web server, etcd's client
 *   port) says so, exit 4 — not "no instances" (exit 3) or an empty list (exit 0);
 * - `register` without `--address` picks the address the registry is reached from (127.0.0.1 for
 *   a registry on loopback), so an `--http /health` check of a local service passes;
 * - `instances` and `health` (and their --json) show why an instance is critical;
 * - `watch` says the registry is reachable again as soon as it is, not at the next change.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type RosterServer } from '@rosterjs/server';
import { connect } from '@rosterjs/roster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EtcdCluster, startEtcdCluster } from '../../../test-support/etcd.js';
import { which } from '../../../test-support/system.js';
import { ExitCode } from './exit-code.js';
import { type BackgroundCli, closedPort, runCli, startCli } from './test-support.js';

let dataDir = '';
let server: RosterServer;
let url = '';
let web: http.Server;
let webPort = 0;
const background: BackgroundCli[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'roster-first-hour-'));
  server = createServer({ port: 0, dataDir, logLevel: 'silent', sync: 'normal' });
  url = `consul://127.0.0.1:${(await server.listen()).port}`;
  // A plain web server: answers every path, /health with 200.
  web = http.createServer((req, res) => {
    res.statusCode = req.url === '/health' ? 200 : 404;
    res.end(req.url === '/health' ? 'ok' : 'Not Found');
  });
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
  webPort = (web.address() as { port: number }).port;
});

afterAll(async () => {
  for (const run of background) if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
  await server?.close();
  await new Promise((resolve) => web?.close(resolve));
  await rm(dataDir, { recursive: true, force: true });
});

async function until(condition: () => boolean | Promise<boolean>, what: string, limitMs = 20_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('--registry that is not a registry', () => {
  it.each([['instances', 'orders'], ['services'], ['health', 'orders'], ['deregister', 'orders', 'x']])(
    'roster %s against a plain web server: "not a registry", exit 4',
    async (...args) => {
      const run = await runCli([...args, '--registry', `consul://127.0.0.1:${webPort}`]);
      expect(run.code, run.stderr).toBe(ExitCode.Unavailable);
      expect(run.stderr).toMatch(/is not a registry: GET \/v1\/status\/leader answered 404/);
    },
  );

  const haveEtcd = which('etcd') !== undefined;
  describe.skipIf(!haveEtcd && process.env.ROSTER_REQUIRE_ALL !== '1')("etcd's client port as a Consul URL", () => {
    let etcd: EtcdCluster;
    beforeAll(async () => {
      etcd = await startEtcdCluster(1);
    }, 60_000);
    afterAll(() => etcd?.stop());
    it('says it is not a registry and how to name etcd, exit 4', async () => {
      const run = await runCli(['services', '--registry', `consul://${etcd.endpoints[0]}`]);
      expect(run.code, run.stderr).toBe(ExitCode.Unavailable);
      expect(run.stderr).toContain('is not a registry');
      expect(run.stderr).toContain('etcd://');
    });
  });

  it('a closed port is still "cannot reach", exit 4', async () => {
    const run = await runCli(['services', '--registry', `consul://127.0.0.1:${await closedPort()}`]);
    expect(run.code).toBe(ExitCode.Unavailable);
    expect(run.stderr).toContain('cannot reach the registry');
  });
});

describe('checks on etcd', () => {
  it.each([
    ['--http', '/health'],
    ['--check-ttl', '30s'],
  ])('register %s with an etcd:// registry is refused (exit 2), nothing registered', async (...flag) => {
    const run = await runCli(['register', 'fh-etcd', '--port', '8651', ...flag, '--registry', 'etcd://127.0.0.1:1']);
    expect(run.code, run.stderr).toBe(ExitCode.Usage);
    expect(run.stderr).toContain(`${flag[0]}: etcd runs no health checks`);
  });
});

describe('register without --address', () => {
  it('registers the address the registry is reached from (loopback here), so the HTTP check passes', async () => {
    const run = await runCli([
      'register',
      'fh-addr',
      '--port',
      String(webPort),
      '--http',
      '/health',
      '--interval',
      '1s',
      '--json',
      '--registry',
      url,
    ]);
    expect(run.code, run.stderr).toBe(0);
    const line = JSON.parse(run.stdout) as { registered: { address: string } };
    expect(line.registered.address).toBe('127.0.0.1');
    const registry = connect(url);
    try {
      await until(async () => (await registry.list('fh-addr')).instances[0]?.health === 'passing', 'the check to pass');
    } finally {
      await registry.close();
    }
  });
});

describe('why an instance is critical', () => {
  it('instances and health show the failing check output, also in --json', async () => {
    const port = await closedPort();
    const reg = await runCli(['register', 'fh-why', '--port', String(port), '--http', '/health', '--interval', '1s', '--registry', url]);
    expect(reg.code, reg.stderr).toBe(0);
    const registry = connect(url);
    try {
      await until(async () => {
        const s = await registry.list('fh-why');
        return s.instances[0]?.health === 'critical';
      }, 'the check to fail');
    } finally {
      await registry.close();
    }
    // A new check is critical before its first probe, with no output yet: wait for the probe's.
    let table = '';
    await until(async () => {
      table = (await runCli(['instances', 'fh-why', '--registry', url])).stdout;
      return /ECONNREFUSED|refused/i.test(table);
    }, 'the probe output in the table');
    expect(table).toMatch(/^ID\s+ADDRESS\s+HEALTH.*WHY/m);
    const json = JSON.parse((await runCli(['instances', 'fh-why', '--json', '--registry', url])).stdout) as {
      instances: { reason?: string }[];
    };
    expect(json.instances[0]!.reason).toMatch(/ECONNREFUSED|refused/i);
    const health = await runCli(['health', 'fh-why', '--registry', url]);
    expect(health.code).toBe(ExitCode.Unhealthy);
    expect(health.stdout).toMatch(/WHY/);
    expect(health.stdout).toMatch(/ECONNREFUSED|refused/i);
    const healthJson = JSON.parse((await runCli(['health', 'fh-why', '--json', '--registry', url])).stdout) as {
      instances: { reason?: string }[];
    };
    expect(healthJson.instances[0]!.reason).toMatch(/ECONNREFUSED|refused/i);
  });
});

describe('watch across a registry restart', () => {
  it('says "reachable again" within seconds of the registry coming back, without a change', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'roster-first-hour-watch-'));
    let own = createServer({ port: 0, dataDir: dir, logLevel: 'silent', sync: 'normal' });
    const port = (await own.listen()).port;
    const ownUrl = `consul://127.0.0.1:${port}`;
    try {
      const registry = connect(ownUrl);
      await registry.register({ service: 'fh-watch', id: 'w1', address: '127.0.0.1', port: 1 });
      await registry.close();
      const watch = startCli(['watch', 'fh-watch', '--registry', ownUrl]);
      background.push(watch);
      await watch.waitForOutput(/w1/);
      await own.close();
      await until(() => watch.stderr().includes('registry unreachable'), 'the unreachable warning');
      own = createServer({ port, dataDir: dir, logLevel: 'silent', sync: 'normal' });
      await own.listen();
      const back = Date.now();
      await until(() => watch.stderr().includes('reachable again'), '"reachable again"', 15_000);
      // Bounded well below the 60 s a blocking query waits when nothing changes.
      expect(Date.now() - back).toBeLessThan(15_000);
      watch.child.kill('SIGINT');
      expect((await watch.done).code).toBe(0);
    } finally {
      await own.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
