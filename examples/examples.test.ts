/**
 * The examples, executed from their build output (`npm test` builds first), as child processes:
 * - against a real roster serve (the built CLI): three example servers and the example client;
 *   the client's calls spread over the instances; a SIGTERM'd server drains and is
 *   deregistered, and later calls avoid it;
 * - against etcd with one flag (`--registry etcd://…`), when etcd is installed;
 * - `npm run demo`'s program with --auto: the live spread, the failover, the deregistration,
 *   and nothing left running afterwards.
 * The three suites are independent and mostly wait on processes, so they run concurrently.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type Registry } from '@rosterjs/roster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EtcdCluster, startEtcdCluster } from '../test-support/etcd.js';
import { requireBinary } from '../test-support/system.js';
import { type NodeProcess, spawnNode } from './node-process.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(root, 'packages/cli/dist/bin.js');
const SERVER = join(root, 'examples/dist/server.js');
const CLIENT = join(root, 'examples/dist/client.js');
const DEMO = join(root, 'examples/dist/demo.js');

interface ClientLine {
  readonly found?: readonly string[];
  readonly instance?: string;
  readonly error?: string;
  readonly summary?: Record<string, number>;
  readonly calls?: number;
  readonly failed?: number;
}

/** The processes one suite starts, and what it does with them; `stopAll()` in its afterAll. */
function processes() {
  const started: NodeProcess[] = [];
  const start = (name: string, script: string, args: readonly string[]) => {
    const p = spawnNode(name, script, args);
    started.push(p);
    return p;
  };
  return {
    start,
    /** Stops every process of the suite: SIGTERM, SIGKILL after 5 s. */
    stopAll: () => Promise.all(started.map((p) => p.stop('SIGTERM'))),
    /** Starts an example server; resolves with it and its instance id once it announced itself. */
    async startServer(registryUrl: string): Promise<{ process: NodeProcess; id: string }> {
      const p = start('server', SERVER, ['--registry', registryUrl, '--check-interval', '1s']);
      const match = await p.waitFor(/^(\S+) listening on http:\/\/127\.0\.0\.1:\d+ \(pid \d+\), announced to /);
      return { process: p, id: match[1] as string };
    },
    /** Runs the example client to completion and returns its JSON lines. */
    async runClient(registryUrl: string, count: number): Promise<ClientLine[]> {
      const client = start('client', CLIENT, ['--registry', registryUrl, '--count', String(count), '--interval', '0', '--json']);
      const exit = await client.exited;
      expect(exit, client.stderr()).toEqual({ code: 0, signal: null });
      return client.lines.map((l) => JSON.parse(l) as ClientLine);
    },
  };
}

/** Waits until my-service has exactly `ids` as passing instances. */
async function waitPassing(registry: Registry, ids: readonly string[], limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  const want = [...ids].sort().join(',');
  let got = '';
  while (Date.now() < deadline) {
    const snapshot = await registry.list('my-service');
    got = snapshot.instances
      .filter((i) => i.health === 'passing')
      .map((i) => i.id)
      .join(',');
    if (got === want) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`passing instances: want ${want}, got ${got}`);
}

const ids = async (registry: Registry) => (await registry.list('my-service')).instances.map((i) => i.id).sort();

describe.concurrent('examples', () => {
  describe('against roster serve', () => {
    const own = processes();
    let dataDir = '';
    let url = '';
    let registry: Registry;

    beforeAll(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'roster-examples-'));
      const args = ['serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn', '--sync', 'normal'];
      const serve = own.start('roster serve', CLI, args);
      url = `consul://${(await serve.waitFor(/listening on http:\/\/(\S+) /))[1]}`;
      registry = connect(url);
    });

    afterAll(async () => {
      await registry?.close();
      await own.stopAll();
      await rm(dataDir, { recursive: true, force: true });
    });

    it('the client spreads its calls over three servers; a SIGTERM drains one, which is deregistered and avoided', async () => {
      const servers = await Promise.all([own.startServer(url), own.startServer(url), own.startServer(url)]);
      const [kept1, stopped, kept2] = servers as [(typeof servers)[0], (typeof servers)[0], (typeof servers)[0]];
      await waitPassing(
        registry,
        servers.map((s) => s.id),
      );

      const lines = await own.runClient(url, 30);
      expect(lines[0]?.found).toEqual(expect.arrayContaining(servers.map((s) => s.id)));
      // Round robin over three: ten each.
      expect(lines.at(-1)).toMatchObject({ calls: 30, failed: 0, summary: Object.fromEntries(servers.map((s) => [s.id, 10])) });

      stopped.process.child.kill('SIGTERM');
      expect(await stopped.process.exited).toEqual({ code: 0, signal: null });
      expect(stopped.process.lines).toEqual(
        expect.arrayContaining([`${stopped.id}: reported critical: clients stop picking this instance`, `${stopped.id}: deregistered`]),
      );
      expect(await ids(registry)).toEqual([kept1.id, kept2.id].sort());

      const after = (await own.runClient(url, 10)).at(-1);
      expect(after).toMatchObject({ calls: 10, failed: 0, summary: { [kept1.id]: 5, [kept2.id]: 5 } });
    });
  });

  describe.runIf(requireBinary('etcd', 'etcd-server', 'examples against etcd'))('against etcd (one flag: --registry etcd://...)', () => {
    const own = processes();
    let cluster: EtcdCluster;
    let registry: Registry;

    beforeAll(async () => {
      cluster = await startEtcdCluster(1);
      registry = connect(cluster.url);
    });

    afterAll(async () => {
      await registry?.close();
      await own.stopAll();
      await cluster?.stop();
    });

    it('the same server and client, with the registry on etcd', async () => {
      const servers = await Promise.all([own.startServer(cluster.url), own.startServer(cluster.url)]);
      const [kept, stopped] = servers as [(typeof servers)[0], (typeof servers)[0]];
      await waitPassing(
        registry,
        servers.map((s) => s.id),
      );
      const summary = (await own.runClient(cluster.url, 10)).at(-1);
      expect(summary).toMatchObject({ calls: 10, failed: 0, summary: Object.fromEntries(servers.map((s) => [s.id, 5])) });

      stopped.process.child.kill('SIGTERM');
      expect(await stopped.process.exited).toEqual({ code: 0, signal: null });
      expect(await ids(registry)).toEqual([kept.id]);
    });
  });

  describe('npm run demo', () => {
    const own = processes();
    afterAll(() => own.stopAll());

    it('--auto: the spread per second, the failover and the deregistration, then everything stops', async () => {
      const demo = own.start('demo', DEMO, ['--auto', '--after', '2', '--duration', '5', '--port', '0', '--rate', '10']);
      const exit = await demo.exited;
      const out = demo.lines.join('\n');
      expect(exit, `${out}\n${demo.stderr()}`).toEqual({ code: 0, signal: null });
      expect(out).toMatch(/^ {2}time +#1 +#2 +#3 +failed +retries/m);
      expect(out).toMatch(/demo: kill -TERM \d+ {3}\(#2, /);
      expect(out).toMatch(/registry: ~ #2 \(\S+\) passing → critical/);
      expect(out).toMatch(/registry: - #2 \(\S+\) deregistered/);
      expect(out).toMatch(/^calls answered: #1 \d+, #2 \d+, #3 \d+; 0 failed/m);
      // A row after the deregistration: #2 gets nothing, the others get the calls.
      expect(out).toMatch(/^ +\d+\.\ds +[1-9]\d* +- +[1-9]\d* +0 +\d+$/m);
      // Every process the demo started (pids printed at start) is gone.
      const pids = new Set([...out.matchAll(/pid (\d+)/g)].map((m) => Number(m[1])));
      expect(pids.size).toBe(5);
      for (const pid of pids) expect(() => process.kill(pid, 0), `pid ${pid}`).toThrow();
    });
  });
});
