/**
 * The examples, executed: a real roster serve (the built CLI), three example servers and the
 * example client as child processes, all from their build output (`npm test` builds first).
 * The client's calls spread over the instances; a SIGTERM'd server drains and is deregistered,
 * and later calls avoid it. The same server and client run against etcd with one flag (when
 * etcd is installed). The demo has its own test (demo.test.ts), which runs in parallel.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type Registry } from 'roster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EtcdCluster, startEtcdCluster } from '../test-support/etcd.js';
import { requireBinary } from '../test-support/system.js';
import { type NodeProcess, spawnNode } from './node-process.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(root, 'packages/cli/dist/bin.js');
const SERVER = join(root, 'examples/dist/server.js');
const CLIENT = join(root, 'examples/dist/client.js');

const started: NodeProcess[] = [];
const start = (name: string, script: string, args: readonly string[]) => {
  const p = spawnNode(name, script, args);
  started.push(p);
  return p;
};

interface ClientLine {
  readonly instance?: string;
  readonly error?: string;
  readonly summary?: Record<string, number>;
  readonly calls?: number;
  readonly failed?: number;
}

/** Runs the example client to completion and returns its JSON lines. */
async function runClient(registryUrl: string, count: number): Promise<ClientLine[]> {
  const client = start('client', CLIENT, ['--registry', registryUrl, '--count', String(count), '--interval', '0', '--json']);
  const exit = await client.exited;
  expect(exit, client.stderr()).toEqual({ code: 0, signal: null });
  return client.lines.map((l) => JSON.parse(l) as ClientLine);
}

/** Starts an example server and returns it with its instance id. */
async function startServer(registryUrl: string): Promise<{ process: NodeProcess; id: string }> {
  const p = start('server', SERVER, ['--registry', registryUrl, '--check-interval', '1s']);
  const match = await p.waitFor(/^(\S+) listening on http:\/\/127\.0\.0\.1:\d+ \(pid \d+\), announced to /);
  return { process: p, id: match[1] as string };
}

/** Waits until `service` has exactly `ids` as passing instances. */
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

afterAll(async () => {
  await Promise.all(started.map((p) => p.stop('SIGKILL')));
});

describe('examples against roster serve', () => {
  let dataDir = '';
  let url = '';
  let registry: Registry;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'roster-examples-'));
    const serve = start('roster serve', CLI, ['serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn', '--sync', 'normal']);
    const listening = await serve.waitFor(/listening on http:\/\/(\S+) /);
    url = `consul://${listening[1]}`;
    registry = connect(url);
  });

  afterAll(async () => {
    await registry?.close();
    await Promise.all(started.map((p) => p.stop('SIGTERM')));
    await rm(dataDir, { recursive: true, force: true });
  });

  it('the client spreads its calls over three servers; a SIGTERM drains one, which is deregistered and avoided', async () => {
    const servers = await Promise.all([startServer(url), startServer(url), startServer(url)]);
    const ids = servers.map((s) => s.id);
    await waitPassing(registry, ids);

    const lines = await runClient(url, 30);
    expect(lines[0]).toEqual({ found: expect.arrayContaining(ids) });
    const summary = lines.at(-1);
    expect(summary).toMatchObject({ calls: 30, failed: 0 });
    // Round robin over three: ten each.
    expect(summary?.summary).toEqual(Object.fromEntries(ids.map((id) => [id, 10])));

    const [kept1, stopped, kept2] = servers as [(typeof servers)[0], (typeof servers)[0], (typeof servers)[0]];
    stopped.process.child.kill('SIGTERM');
    expect(await stopped.process.exited).toEqual({ code: 0, signal: null });
    expect(stopped.process.lines).toEqual(
      expect.arrayContaining([`${stopped.id}: reported critical: clients stop picking this instance`, `${stopped.id}: deregistered`]),
    );
    expect((await registry.list('my-service')).instances.map((i) => i.id).sort()).toEqual([kept1.id, kept2.id].sort());

    const after = (await runClient(url, 10)).at(-1);
    expect(after).toMatchObject({ calls: 10, failed: 0, summary: { [kept1.id]: 5, [kept2.id]: 5 } });
  });
});

describe.runIf(requireBinary('etcd', 'etcd-server', 'examples against etcd'))('examples against etcd (one flag: --registry etcd://...)', () => {
  let cluster: EtcdCluster;
  let registry: Registry;

  beforeAll(async () => {
    cluster = await startEtcdCluster(1);
    registry = connect(cluster.url);
  });

  afterAll(async () => {
    await registry?.close();
    await Promise.all(started.map((p) => p.stop('SIGTERM')));
    await cluster?.stop();
  });

  it('the same server and client, with the registry on etcd', async () => {
    const servers = await Promise.all([startServer(cluster.url), startServer(cluster.url)]);
    await waitPassing(registry, servers.map((s) => s.id));
    const summary = (await runClient(cluster.url, 10)).at(-1);
    expect(summary).toMatchObject({ calls: 10, failed: 0, summary: Object.fromEntries(servers.map((s) => [s.id, 5])) });

    const [kept, stopped] = servers as [(typeof servers)[0], (typeof servers)[0]];
    stopped.process.child.kill('SIGTERM');
    expect(await stopped.process.exited).toEqual({ code: 0, signal: null });
    expect((await registry.list('my-service')).instances.map((i) => i.id)).toEqual([kept.id]);
  });
});
