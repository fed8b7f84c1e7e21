/**
 * A registry fault under load, etcd backend against a real 3-member etcd cluster on loopback:
 * the caller reaches every member through its own fault proxy (the instances reach the members
 * directly), so the test sees which member the caller talks to, and kills exactly that one
 * (kill -9), then starts it again. ≥ 1,000 calls at ~100 calls/s
 * through `createFetch` with default options; 0 failed calls; every announced instance still
 * registered; the caller's Resolver fresh afterwards. Skipped without etcd (Debian etcd-server)
 * unless ROSTER_REQUIRE_ALL=1.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { type EtcdCluster, startEtcdCluster } from '../../../../test-support/etcd.js';
import { type FaultProxy, startFaultProxy } from '../../../../test-support/fault-proxy.js';
import { requireBinary } from '../../../../test-support/system.js';
import { etcdRegistry } from '../registry/etcd/etcd-registry.js';
import type { Registry } from '../registry/registry.js';
import { MIN_CALLS, report, startFaultRun } from './test-support.js';

const available = requireBinary('etcd', 'etcd-server', 'etcd fault suite');
let cluster: EtcdCluster | undefined;
const proxies: FaultProxy[] = [];
const registries: Registry[] = [];

afterAll(async () => {
  await Promise.allSettled(registries.map((r) => r.close()));
  await Promise.allSettled(proxies.map((p) => p.close()));
  await cluster?.stop();
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function client(url: string): Registry {
  const r = etcdRegistry({ url });
  registries.push(r);
  return r;
}

describe.runIf(available)('etcd backend under registry faults: 0 failed calls', () => {
  it('the etcd member the caller talks to is killed (kill -9) and started again', { timeout: 150_000 }, async () => {
    cluster = await startEtcdCluster(3);
    for (const m of cluster.members) proxies.push(await startFaultProxy(m.endpoint));
    const viaProxies = `etcd://${proxies.map((p) => p.endpoint).join(',')}`;
    const caller = client(viaProxies);
    const direct = client(cluster.url);
    const run = await startFaultRun({
      name: 'etcd-member',
      agentRegistry: () => client(cluster?.url ?? ''),
      callerRegistry: caller,
      list: (service) => direct.list(service),
    });
    await sleep(2000);
    // The member the caller's connections go to: the proxy holding its open connections (only the caller uses the proxies).
    const before = proxies.map((p) => p.stats().open);
    const talkedTo = before.indexOf(Math.max(...before));
    const member = cluster.members[talkedTo];
    if (!member || (before[talkedTo] ?? 0) === 0) throw new Error(`no member with open connections: ${before.join(', ')}`);
    await member.kill();
    await sleep(8000);
    member.start();
    await cluster.waitHealthy(30_000);
    await run.allRegistered(20_000);
    await run.callerFresh(20_000);
    const result = await run.finish();
    report(
      'etcd member the caller talks to killed',
      result,
      `killed ${member.name} (open connections per member before: ${before.join('/')})`,
    );
    expect(result.calls).toBeGreaterThanOrEqual(MIN_CALLS);
    expect(result.failures).toEqual([]);
  });
});
