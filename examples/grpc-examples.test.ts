/**
 * The gRPC example, executed from its build output (`npm test` builds first) as child processes
 * against a real roster serve (the built CLI): two Greeter servers announce themselves, the
 * example client's calls through `roster:///greeter` reach both; a SIGTERM'd server drains
 * (tryShutdown) and is deregistered, and the next run of the client reaches only the other —
 * without a failed call.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type Registry } from '@rosterjs/roster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NodeProcess, spawnNode } from './node-process.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(root, 'packages/cli/dist/bin.js');
const SERVER = join(root, 'examples/dist/grpc-server.js');
const CLIENT = join(root, 'examples/dist/grpc-client.js');

interface Summary {
  readonly calls: number;
  readonly failed: number;
  readonly summary: Record<string, number>;
}

describe('gRPC example against roster serve', () => {
  const started: NodeProcess[] = [];
  const start = (name: string, script: string, args: readonly string[]) => {
    const p = spawnNode(name, script, args);
    started.push(p);
    return p;
  };
  let dataDir = '';
  let url = '';
  let registry: Registry;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'roster-grpc-example-'));
    const serve = start('roster serve', CLI, ['serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn', '--sync', 'normal']);
    url = `consul://${(await serve.waitFor(/listening on http:\/\/(\S+) /))[1]}`;
    registry = connect(url);
  });

  afterAll(async () => {
    await registry?.close();
    await Promise.all(started.map((p) => p.stop('SIGTERM')));
    await rm(dataDir, { recursive: true, force: true });
  });

  const runClient = async (count: number): Promise<Summary> => {
    const client = start('grpc client', CLIENT, ['--registry', url, '--count', String(count), '--json']);
    expect(await client.exited, client.stderr()).toEqual({ code: 0, signal: null });
    return JSON.parse(client.lines.at(-1)!) as Summary;
  };

  it('two servers share the calls; a SIGTERM drains one, which is deregistered and avoided, with no failed call', async () => {
    const servers = await Promise.all(
      [1, 2].map(async (n) => {
        const p = start(`grpc server ${n}`, SERVER, ['--registry', url]);
        const match = await p.waitFor(/^(\S+) listening on grpc:\/\/127\.0\.0\.1:\d+ /);
        return { process: p, id: match[1]! };
      }),
    );
    const [kept, stopped] = servers as [(typeof servers)[0], (typeof servers)[0]];

    // P2C + peak EWMA chooses by latency, so the split of sequential calls is not even.
    const first = await runClient(60);
    expect(first).toMatchObject({ calls: 60, failed: 0 });
    expect([kept.id, stopped.id]).toEqual(expect.arrayContaining(Object.keys(first.summary)));

    stopped.process.child.kill('SIGTERM');
    expect(await stopped.process.exited).toEqual({ code: 0, signal: null });
    expect(stopped.process.lines).toEqual(expect.arrayContaining([`${stopped.id}: drain closed`, `${stopped.id}: drain deregistered`]));
    expect((await registry.list('greeter')).instances.map((i) => i.id)).toEqual([kept.id]);

    expect(await runClient(20)).toEqual({ calls: 20, failed: 0, summary: { [kept.id]: 20 } });
  });
});
