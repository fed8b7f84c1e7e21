/**
 * The agent's Lease through the fault proxy, against the built `roster serve` (a process): a
 * one-way partition for longer than the TTL. Answers lost (`down`): the renewals still reach
 * the registry, so the registration stays passing although the Lease sees its calls time out.
 * Requests lost (`up`): the registry marks the instance critical after its TTL; once healed, the
 * Lease renews and the instance is passing again. In both the Lease is never lost.
 */
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from '../../../../test-support/fault-proxy.js';
import { ROSTER_BIN, RosterProcess, stopAllRosterProcesses } from '../../../../test-support/roster-process.js';
import { announce } from '../agent/announce.js';
import type { HealthStatus } from '../model.js';
import { consulRegistry } from '../registry/consul/consul-registry.js';
import type { LeaseEvent, Registry } from '../registry/registry.js';

const proxies: FaultProxy[] = [];
const registries: Registry[] = [];

afterAll(async () => {
  await Promise.allSettled(registries.map((r) => r.close()));
  await Promise.allSettled(proxies.map((p) => p.close()));
  await stopAllRosterProcesses();
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function setup(name: string) {
  if (!existsSync(ROSTER_BIN)) throw new Error(`${ROSTER_BIN} is missing: run \`npm run build\` first`);
  const server = new RosterProcess();
  await server.start();
  const proxy = await startFaultProxy(server.endpoint);
  proxies.push(proxy);
  const agent = consulRegistry({ url: proxy.url, timeoutMs: 1000 });
  const direct = consulRegistry({ url: server.url });
  registries.push(agent, direct);
  const announcement = await announce({
    registry: agent,
    service: `lease-${name}`,
    id: `lease-${name}-1`,
    address: '127.0.0.1',
    port: 9,
    ttl: '6s',
    signals: false,
    lagWatchdog: false,
    drain: { propagationMs: 0 },
  });
  const events: LeaseEvent['type'][] = [];
  announcement.lease.onEvent((e) => events.push(e.type));
  const health = async (): Promise<HealthStatus | undefined> =>
    (await direct.list(`lease-${name}`)).instances.find((i) => i.id === `lease-${name}-1`)?.health;
  return { proxy, announcement, events, health };
}

describe.concurrent('the Lease through a one-way partition longer than its TTL (6 s)', () => {
  it('answers lost: the renewals still arrive, the registration stays passing, the Lease is kept', { timeout: 60_000 }, async () => {
    const { proxy, announcement, events, health } = await setup('down');
    proxy.partition('down');
    const seen = new Set<HealthStatus | undefined>();
    for (let t = 0; t < 32; t++) {
      seen.add(await health());
      await sleep(250);
    }
    proxy.heal();
    await sleep(4000);
    expect([...seen]).toEqual(['passing']);
    expect(events).toContain('renew-failed');
    expect(events.at(-1)).toBe('renewed');
    expect(announcement.lease.lost.aborted).toBe(false);
    await announcement.drain();
  });

  it('requests lost: critical after the TTL, passing again after the heal, the Lease is kept', { timeout: 60_000 }, async () => {
    const { proxy, announcement, events, health } = await setup('up');
    proxy.partition('up');
    let critical = false;
    for (let t = 0; t < 60 && !critical; t++) {
      critical = (await health()) === 'critical';
      await sleep(250);
    }
    proxy.heal();
    let passing = false;
    for (let t = 0; t < 40 && !passing; t++) {
      passing = (await health()) === 'passing';
      await sleep(250);
    }
    expect(critical).toBe(true);
    expect(passing).toBe(true);
    expect(events).toContain('renew-failed');
    expect(announcement.lease.lost.aborted).toBe(false);
    await announcement.drain();
  });
});
