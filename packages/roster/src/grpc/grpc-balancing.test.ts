/**
 * roster's LB policies inside real grpc-js channels (loopback servers, a memory registry): P2C +
 * peak EWMA avoids a slow instance where round_robin does not, roster_weighted follows the
 * registry's weights, outlier ejection is fed by call status, the policies also balance an
 * `ipv4:` target, and a service without instances fails fast instead of hanging.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryRegistry } from '../registry/memory.js';
import type { Registry } from '../registry/registry.js';
import { registerGrpcResolver } from './register-grpc-resolver.js';
import { type EchoInstance, echoClient, type EchoStub, startEcho, who } from './test-support.js';

const registry: Registry = memoryRegistry();
const servers: EchoInstance[] = [];
const clients: EchoStub[] = [];

async function service(name: string, specs: { id: string; delayMs?: number; weight?: number }[]): Promise<EchoInstance[]> {
  const started = await Promise.all(specs.map((s) => startEcho(s.id, s.delayMs ?? 1)));
  servers.push(...started);
  for (const [i, s] of started.entries()) {
    await registry.register({ service: name, id: s.id, address: '127.0.0.1', port: s.port, weight: specs[i]!.weight ?? 1 });
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
    const seen = await spread(client('rostermem:///flaky'), 150);
    expect(['f1', 'f3']).toEqual(expect.arrayContaining(Object.keys(seen)));
    expect((seen.f1 ?? 0) + (seen.f3 ?? 0)).toBe(150);
    // Ejected after 3 gateway errors in a row (the default); a few more arrive while the first
    // ones are retried elsewhere, none after.
    expect(bad!.arrivals.length).toBeGreaterThanOrEqual(3);
    expect(bad!.arrivals.length).toBeLessThan(15);
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

  it('a bad target fails the client’s construction with an error naming the target', () => {
    expect(() => client('rostermem:///not a service')).toThrow(/target/);
    expect(() => client('rostermem:///orders?colour=red')).toThrow(/unknown parameter "colour"/);
  });
});
