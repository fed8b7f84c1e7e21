/**
 * roster's LB policies inside real grpc-js channels (loopback servers, a memory registry): P2C +
 * peak EWMA avoids a slow instance where round_robin does not, roster_weighted follows the
 * registry's weights, outlier ejection is fed by call status, the policies also balance an
 * `ipv4:` target, and a service without instances fails fast instead of hanging.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consulRegistry } from '../registry/consul/consul-registry.js';
import { memoryRegistry } from '../registry/memory.js';
import type { Registry } from '../registry/registry.js';
import { registerGrpcResolver } from './register-grpc-resolver.js';
import { type EchoInstance, echoClient, type EchoStub, startEcho, who } from './test-support.js';

const registry: Registry = memoryRegistry();
const servers: EchoInstance[] = [];
const clients: EchoStub[] = [];

async function service(
  name: string,
  specs: { id: string; delayMs?: number; weight?: number; tags?: string[]; zone?: string }[],
): Promise<EchoInstance[]> {
  const started = await Promise.all(specs.map((s) => startEcho(s.id, s.delayMs ?? 1)));
  servers.push(...started);
  for (const [i, s] of started.entries()) {
    const { weight = 1, tags = [], zone = '' } = specs[i]!;
    await registry.register({ service: name, id: s.id, address: '127.0.0.1', port: s.port, weight, tags, zone });
  }
  return started;
}

function client(target: string, options?: grpc.ChannelOptions): EchoStub {
  const c = echoClient(target, options);
  clients.push(c);
  return c;
}

/** `n` calls, `concurrency` at a time; replies per instance. */
async function spread(c: EchoStub, n: number, concurrency = 1): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      const reply = await who(c);
      seen[reply.instance] = (seen[reply.instance] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return seen;
}

beforeAll(() => {
  registerGrpcResolver({ registry, scheme: 'rostermem' });
});

afterAll(async () => {
  for (const c of clients) c.close();
  for (const s of servers) s.close();
  await registry.close();
});

describe('roster LB policies in grpc-js', () => {
  it('roster_p2c_ewma sends a slow instance (100 ms, of 4) at most half the calls round_robin sends it', async () => {
    await service('slow-one', [{ id: 's1' }, { id: 's2' }, { id: 's3' }, { id: 'slow', delayMs: 100 }]);
    const p2c = await spread(client('rostermem:///slow-one'), 200, 4);
    const rr = await spread(client('rostermem:///slow-one?lb=round_robin'), 200, 4);
    // round_robin: a quarter, whatever the latency. P2C: only when both draws are the slow one's
    // neighbours in cost — on a busy machine the fast ones' estimates spike too, so no tight bound.
    expect(rr.slow).toBeGreaterThanOrEqual(40);
    expect(p2c.slow ?? 0).toBeLessThan(rr.slow! / 2);
  });

  it('roster_weighted follows the registry’s weights (1 : 3)', async () => {
    await service('weighted', [
      { id: 'w1', weight: 1 },
      { id: 'w3', weight: 3 },
    ]);
    const c = client('rostermem:///weighted?lb=roster_weighted');
    await spread(c, 8); // connect both
    expect(await spread(c, 40)).toEqual({ w1: 10, w3: 30 });
  });

  it('outlier ejection fed by call status: an instance answering UNAVAILABLE is ejected; retries hide its failures', async () => {
    const [, bad] = await service('flaky', [{ id: 'f1' }, { id: 'f2' }, { id: 'f3' }]);
    bad!.failWith = grpc.status.UNAVAILABLE;
    // Smooth weighted round robin would keep sending it every third call: only ejection stops that.
    const seen = await spread(client('rostermem:///flaky?lb=roster_weighted'), 150);
    expect(['f1', 'f3']).toEqual(expect.arrayContaining(Object.keys(seen)));
    expect((seen.f1 ?? 0) + (seen.f3 ?? 0)).toBe(150);
    // Ejected after 3 gateway errors in a row (the default), for 30 s: nothing after those.
    expect(bad!.arrivals.length).toBeGreaterThanOrEqual(3);
    expect(bad!.arrivals.length).toBeLessThan(10);
    // roster_p2c_ewma: a failing instance is avoided by its cost too; every call still succeeds.
    const before = bad!.arrivals.length;
    const p2c = await spread(client('rostermem:///flaky'), 100);
    expect((p2c.f1 ?? 0) + (p2c.f3 ?? 0)).toBe(100);
    expect(bad!.arrivals.length - before).toBeLessThan(10);
  });

  it('balances an ipv4: target when the channel’s service config names roster_p2c_ewma', async () => {
    const [a, b] = await service('by-address', [{ id: 'a1' }, { id: 'a2' }]);
    const c = client(`ipv4:127.0.0.1:${a!.port},127.0.0.1:${b!.port}`, {
      'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ roster_p2c_ewma: {} }] }),
    });
    const seen = await spread(c, 100, 4);
    expect(['a1', 'a2']).toEqual(expect.arrayContaining(Object.keys(seen)));
    expect((seen.a1 ?? 0) + (seen.a2 ?? 0)).toBe(100);
  });

  it('a service without instances fails fast with UNAVAILABLE; an instance that appears is used', async () => {
    const c = client('rostermem:///nobody-yet');
    const started = performance.now();
    await expect(who(c, 5000)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    expect(performance.now() - started).toBeLessThan(4000);
    await service('nobody-yet', [{ id: 'late' }]);
    let reply: { instance: string } | undefined;
    for (let i = 0; i < 100 && reply === undefined; i++) {
      reply = await who(c, 5000).catch(() => undefined);
      if (reply === undefined) await new Promise((r) => setTimeout(r, 50));
    }
    expect(reply?.instance).toBe('late');
  });

  it('?tag= and ?zone= narrow the instances; a channel’s own grpc.service_config wins over the resolver’s', async () => {
    await service('narrowed', [
      { id: 'v1-z1', tags: ['v1'], zone: 'z1' },
      { id: 'v2-z1', tags: ['v2', 'canary'], zone: 'z1' },
      { id: 'v2-z2', tags: ['v2'], zone: 'z2' },
    ]);
    const weighted = client('rostermem:///narrowed?tag=v2&lb=roster_weighted');
    await spread(weighted, 6); // connect both
    const v2 = await spread(weighted, 20);
    expect(v2).toEqual({ 'v2-z1': 10, 'v2-z2': 10 });
    expect(await spread(client('rostermem:///narrowed?tag=v2&zone=z2'), 10)).toEqual({ 'v2-z2': 10 });
    expect(await spread(client('rostermem:///narrowed?tag=v2&tag=canary'), 10)).toEqual({ 'v2-z1': 10 });
    // pick_first from the channel's option: every call to one instance.
    const pinned = await spread(
      client('rostermem:///narrowed', { 'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ pick_first: {} }] }) }),
      20,
    );
    expect(Object.values(pinned)).toEqual([20]);
  });

  it('a registry that cannot be reached: calls fail UNAVAILABLE after readyTimeoutMs instead of hanging', async () => {
    const unreachable = consulRegistry({ url: 'http://127.0.0.1:1', backoff: { baseMs: 100, maxMs: 200 } });
    registerGrpcResolver({ registry: unreachable, scheme: 'rosterdown', readyTimeoutMs: 300 });
    const c = client('rosterdown:///orders');
    const started = performance.now();
    await expect(who(c, 8000)).rejects.toMatchObject({
      code: grpc.status.UNAVAILABLE,
      details: expect.stringMatching(/no snapshot of orders/),
    });
    expect(performance.now() - started).toBeLessThan(6000);
    await unreachable.close();
  });

  it('a bad target fails the client’s construction with an error naming the target', () => {
    expect(() => client('rostermem:///not a service')).toThrow(/target/);
    expect(() => client('rostermem:///orders?colour=red')).toThrow(/unknown parameter "colour"/);
  });
});
