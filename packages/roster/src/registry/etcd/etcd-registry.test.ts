/**
 * The etcd backend on a real etcd (one member, loopback, temp data dir): the Registry contract
 * suite unchanged, then what is specific to etcd (key schema on the wire, self-repair, watch
 * resumption across a cut connection and across a compaction).
 */
import { execFileSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EtcdCluster, freePort, startEtcdCluster, startTcpProxy, type TcpProxy } from '../../../../../test-support/etcd.js';
import { requireBinary } from '../../../../../test-support/system.js';
import type { Snapshot } from '../../model.js';
import { uniqueService } from '../../testing/contract-clauses.js';
import { registryContract } from '../../testing/registry-contract.js';
import type { LeaseEvent, Registry } from '../registry.js';
import { etcdRegistry } from './etcd-registry.js';

const available = requireBinary('etcd', 'etcd-server', 'etcd suite');
let cluster: EtcdCluster | undefined;
const clients: Registry[] = [];

/** A roster client of the test cluster (closed after the file). */
function client(url = cluster?.url ?? 'etcd://127.0.0.1:1'): Registry {
  const r = etcdRegistry({ url, requestTimeoutMs: 3000 });
  clients.push(r);
  return r;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, limitMs: number, check: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${limitMs} ms`);
    await sleep(25);
  }
}

describe.runIf(available)('etcd backend (single member)', () => {
  beforeAll(async () => {
    cluster = await startEtcdCluster(1);
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await cluster?.stop();
  });

  // etcd grants leases in whole seconds, at least ceil(1.5 × election timeout) = 1 s here, and
  // its leader checks for expired leases every 500 ms: a 2 s TTL leaves room for a busy machine.
  registryContract('etcd', {
    connect: () => client(),
    // An etcd that is not there: a loopback port nothing listens on.
    unreachable: async () =>
      etcdRegistry({ url: `etcd://127.0.0.1:${await freePort()}`, requestTimeoutMs: 500, backoff: { baseMs: 20, maxMs: 100 } }),
    ttlMs: 2000,
    expiryGraceMs: 1500,
    settleMs: 2000,
  });

  it('stores <prefix><service>/<encoded id> → schema-1 JSON that etcdctl can read', async () => {
    const r = client();
    const service = uniqueService('schema');
    await r.register({ service, id: 'a/b c', address: '10.0.0.7', port: 8443, tags: ['x'], meta: { v: '2' }, zone: 'z1', ttl: '5s' });
    const out = execFileSync('etcdctl', [`--endpoints=${cluster?.endpoints[0]}`, 'get', '--prefix', `/roster/services/${service}/`], {
      encoding: 'utf8',
    });
    const [key, value] = out.trim().split('\n');
    expect(key).toBe(`/roster/services/${service}/a%2Fb%20c`);
    expect(JSON.parse(value as string)).toEqual({
      schema: 1,
      id: 'a/b c',
      service,
      address: '10.0.0.7',
      port: 8443,
      tags: ['x'],
      meta: { v: '2' },
      weight: 1,
      zone: 'z1',
      health: 'passing',
      output: '',
    });
    const lease = execFileSync('etcdctl', [`--endpoints=${cluster?.endpoints[0]}`, 'get', '-w', 'json', key as string], {
      encoding: 'utf8',
    });
    expect(Number(JSON.parse(lease).kvs[0].lease)).toBeGreaterThan(0);
  });

  it('reads instances written by another program, skips keys it cannot decode', async () => {
    const raw = new Etcd3({ hosts: cluster?.endpoints ?? [] });
    try {
      const service = uniqueService('foreign');
      await raw.put(`/roster/services/${service}/go-1`).value(JSON.stringify({ schema: 1, address: '10.1.1.1', port: 80 }));
      await raw.put(`/roster/services/${service}/junk`).value('not json');
      const snap = await client().list(service);
      expect(snap.instances).toEqual([
        { id: 'go-1', service, address: '10.1.1.1', port: 80, tags: [], meta: {}, weight: 1, zone: '', health: 'passing' },
      ]);
    } finally {
      raw.close();
    }
  });

  it('a lease revoked behind its back is granted again and the key rewritten, once', async () => {
    const r = client();
    const raw = new Etcd3({ hosts: cluster?.endpoints ?? [] });
    try {
      const service = uniqueService('revoke');
      const lease = await r.register({ service, id: 'v-1', address: '127.0.0.1', port: 1, ttl: '3s' });
      const events: LeaseEvent['type'][] = [];
      lease.onEvent((e) => events.push(e.type));
      const key = `/roster/services/${service}/v-1`;
      const before = (await raw.get(key).exec()).kvs[0];
      await raw.leaseClient.leaseRevoke({ ID: before?.lease as string });
      const after = await until('key rewritten', 3000, async () => (await raw.get(key).exec()).kvs[0]);
      expect(after.lease).not.toBe(before?.lease);
      // The key can be seen rewritten before the put's answer reaches the lease (which then says 'restored').
      await until('restored', 3000, () => (events.includes('restored') ? true : undefined));
      expect(events).toEqual(['forgotten', 'restored']);
      expect((await raw.getAll().prefix(`/roster/services/${service}/`).keys()).length).toBe(1);
    } finally {
      raw.close();
    }
  });

  it('a watch resumes after a cut connection without missing or repeating a change', async () => {
    const proxy: TcpProxy = await startTcpProxy(cluster?.endpoints[0] as string);
    const writer = client();
    const watcher = client(`etcd://${proxy.endpoint}`);
    try {
      const service = uniqueService('resume');
      await writer.register({ service, id: 'r-0', address: '127.0.0.1', port: 1 });
      const seen: Snapshot[] = [];
      const ac = new AbortController();
      const done = (async () => {
        for await (const snap of watcher.watch(service, { signal: ac.signal })) seen.push(snap);
      })();
      await until('first item', 3000, () => (seen.length > 0 ? true : undefined));
      proxy.cut();
      await writer.register({ service, id: 'r-1', address: '127.0.0.1', port: 1 });
      await writer.deregister(service, 'r-0');
      await writer.register({ service, id: 'r-2', address: '127.0.0.1', port: 1 });
      await sleep(300);
      proxy.restore();
      const want = await writer.list(service);
      const last = await until('caught up', 5000, () => {
        const s = seen.at(-1);
        return s && s.instances.map((i) => i.id).join() === 'r-1,r-2' ? s : undefined;
      });
      ac.abort();
      await done;
      expect(last.instances).toEqual(want.instances);
      for (let i = 1; i < seen.length; i++) expect(seen[i]?.revision).toBeGreaterThan(seen[i - 1]?.revision as number);
    } finally {
      await proxy.close();
    }
  });

  it('a watch lists again when the revision it would resume from was compacted', async () => {
    const proxy = await startTcpProxy(cluster?.endpoints[0] as string);
    const writer = client();
    const watcher = client(`etcd://${proxy.endpoint}`);
    const raw = new Etcd3({ hosts: cluster?.endpoints ?? [] });
    try {
      const service = uniqueService('compact');
      await writer.register({ service, id: 'c-0', address: '127.0.0.1', port: 1 });
      const seen: Snapshot[] = [];
      const ac = new AbortController();
      const done = (async () => {
        for await (const snap of watcher.watch(service, { signal: ac.signal })) seen.push(snap);
      })();
      await until('first item', 3000, () => (seen.length > 0 ? true : undefined));
      proxy.cut();
      await writer.register({ service, id: 'c-1', address: '127.0.0.1', port: 1 });
      await writer.deregister(service, 'c-0');
      const { header } = await raw.kv.range({ key: Buffer.from('x') });
      await raw.kv.compact({ revision: header.revision, physical: true });
      proxy.restore();
      const last = await until('relisted', 5000, () => {
        const s = seen.at(-1);
        return s && s.instances.map((i) => i.id).join() === 'c-1' ? s : undefined;
      });
      ac.abort();
      await done;
      expect(last.revision).toBeGreaterThanOrEqual(Number(header.revision));
      for (let i = 1; i < seen.length; i++) expect(seen[i]?.revision).toBeGreaterThan(seen[i - 1]?.revision as number);
    } finally {
      raw.close();
      await proxy.close();
    }
  });

  // Last in this file: it replaces the cluster's data.
  it('after the cluster was restored empty, leases register again and watches list again, revisions still increasing', async () => {
    const c = cluster as EtcdCluster;
    const member = c.members[0] as EtcdCluster['members'][number];
    const owner = client();
    const watcher = client();
    const service = uniqueService('wiped');
    for (let i = 0; i < 10; i++) await owner.register({ service: `${service}-filler`, id: `f-${i}`, address: '127.0.0.1', port: 1 });
    const lease = await owner.register({ service, id: 'w-1', address: '127.0.0.1', port: 1, ttl: '3s' });
    const events: LeaseEvent['type'][] = [];
    lease.onEvent((e) => events.push(e.type));
    const seen: Snapshot[] = [];
    const ac = new AbortController();
    const done = (async () => {
      for await (const snap of watcher.watch(service, { signal: ac.signal })) seen.push(snap);
    })();
    await until('first item', 3000, () => (seen.length > 0 ? true : undefined));
    const revisionBefore = seen[0]?.revision as number;
    await member.stop();
    await rm(member.dataDir, { recursive: true, force: true });
    member.start();
    await c.waitHealthy();
    await until('lease restored', 5000, () => (events.includes('restored') ? true : undefined));
    const listed = await until('listed again', 5000, async () => {
      const snap = await owner.list(service);
      return snap.instances.length === 1 ? snap : undefined;
    });
    expect(listed.revision).toBeLessThan(revisionBefore); // a new store: etcd's revisions started over
    await until('watch has it again', 5000, () =>
      seen
        .at(-1)
        ?.instances.map((i) => i.id)
        .join() === 'w-1' && seen.length > 1
        ? true
        : undefined,
    );
    ac.abort();
    await done;
    for (let i = 1; i < seen.length; i++) expect(seen[i]?.revision).toBeGreaterThan(seen[i - 1]?.revision as number);
  });

  it('an unreachable cluster fails calls with a retryable RegistryUnavailableError', async () => {
    const r = etcdRegistry({ url: 'etcd://127.0.0.1:1', requestTimeoutMs: 1000 });
    clients.push(r);
    const started = Date.now();
    await expect(r.list('api')).rejects.toMatchObject({ code: 'ROSTER_ERR_REGISTRY_UNAVAILABLE', retryable: true });
    expect(Date.now() - started).toBeLessThan(1500);
  });
});

describe('etcd backend options', () => {
  it('rejects bad options naming them, without touching the network', () => {
    expect(() => etcdRegistry({ url: 'consul://x' })).toThrow(/^url: scheme must be etcd/);
    expect(() => etcdRegistry({ url: 'etcd://a:99999' })).toThrow(/^url: port/);
    expect(() => etcdRegistry({ prefix: 'no-slash' })).toThrow(/^prefix:/);
    expect(() => etcdRegistry({ username: 'u' })).toThrow(/^password:/);
    expect(() => etcdRegistry({ requestTimeoutMs: 0 })).toThrow(/^requestTimeoutMs:/);
    expect(() => etcdRegistry({ tls: { cert: 'x' } })).toThrow(/^tls.key:/);
  });
});
