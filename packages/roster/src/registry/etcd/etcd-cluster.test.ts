/**
 * The etcd backend on a real 3-member etcd cluster on loopback: kill -9 of the leader under
 * registration and watch load, a client process paused (SIGSTOP) longer than its TTL, and the
 * loss of quorum. Every wait is bounded; every process is stopped in afterAll.
 */
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EtcdCluster, repoFileUrl, spawnTsChild, startEtcdCluster, type TsChild } from '../../../../../test-support/etcd.js';
import { requireBinary } from '../../../../../test-support/system.js';
import { isRosterError } from '../../errors.js';
import type { Snapshot } from '../../model.js';
import { uniqueService } from '../../testing/contract-clauses.js';
import type { Lease, LeaseEvent, Registry } from '../registry.js';
import { prefixRangeEnd, servicePrefix } from './etcd-codec.js';
import { toKv } from './etcd-connection.js';
import { etcdRegistry } from './etcd-registry.js';
import { decodeService } from './etcd-watch.js';

const available = requireBinary('etcd', 'etcd-server', 'etcd cluster suite');
const PREFIX = '/roster/services/';
let cluster: EtcdCluster;
const clients: Registry[] = [];
const children: TsChild[] = [];
const raws: Etcd3[] = [];

function client(): Registry {
  const r = etcdRegistry({ url: cluster.url, requestTimeoutMs: 3000 });
  clients.push(r);
  return r;
}

function rawClient(): Etcd3 {
  const raw = new Etcd3({ hosts: cluster.endpoints });
  raws.push(raw);
  return raw;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, limitMs: number, check: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + limitMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${limitMs} ms${last ? ` (last error: ${last})` : ''}`);
    await sleep(25);
  }
}

/** Starts iterating a watch in the background; `seen` fills up with every item taken. */
function collect(r: Registry, service: string): { seen: Snapshot[]; stop: () => Promise<void>; ended: () => boolean } {
  const seen: Snapshot[] = [];
  const ac = new AbortController();
  let ended = false;
  const done = (async () => {
    for await (const snap of r.watch(service, { signal: ac.signal })) seen.push(snap);
    ended = true;
  })();
  return {
    seen,
    ended: () => ended && !ac.signal.aborted,
    stop: async () => {
      ac.abort();
      await done;
    },
  };
}

const ids = (s: Snapshot | undefined) => s?.instances.map((i) => i.id) ?? [];

describe.runIf(available)('etcd backend on a 3-member cluster', () => {
  beforeAll(async () => {
    cluster = await startEtcdCluster(3);
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    for (const raw of raws) raw.close();
    await Promise.allSettled(children.map((c) => c.stop()));
    await cluster?.stop();
  });

  it('kill -9 of the leader under load: nothing acknowledged is lost, watchers miss no change', async () => {
    await cluster.heal();
    const service = uniqueService('failover');
    const owner = client();
    const live: Lease[] = [];
    const liveEvents: LeaseEvent['type'][] = [];
    /** Every live lease's events, `id type @ms` (ms since the test began), for failure messages. */
    const liveLog: string[] = [];
    const began = Date.now();
    for (let i = 0; i < 10; i++) {
      const lease = await owner.register({ service, id: `live-${i}`, address: '127.0.0.1', port: 20_000 + i, ttl: '2s' });
      lease.onEvent((e) => {
        liveEvents.push(e.type);
        liveLog.push(`live-${i} ${e.type} @${Date.now() - began}`);
      });
      live.push(lease);
    }
    const watch = collect(client(), service);
    await until('first watch item', 3000, () => watch.seen[0]);

    const acked = new Set<string>();
    const attempted = new Set<string>();
    const removed = new Set<string>(); // deregistrations that resolved
    const removing = new Set<string>(); // deregistrations tried (they may have happened)
    const failures: unknown[] = [];
    let killedAt = 0;
    let ackedAfterKill = 0;
    let stop = false;
    const loader = client();
    const worker = async (w: number) => {
      const mine: [string, Lease][] = [];
      for (let i = 0; !stop; i++) {
        const id = `load-${w}-${i}`;
        attempted.add(id);
        try {
          mine.push([id, await loader.register({ service, id, address: '127.0.0.1', port: 1 + i, ttl: '2s' })]);
          acked.add(id);
          if (killedAt > 0) ackedAfterKill++;
          if (i % 3 === 2) {
            const [victim, lease] = mine.splice(0, 1)[0] as [string, Lease];
            removing.add(victim);
            await lease.deregister();
            removed.add(victim);
          }
        } catch (error) {
          failures.push(error);
          await sleep(20);
        }
      }
    };
    const load = Promise.all([0, 1, 2].map(worker));
    await sleep(1000);
    const leader = await cluster.leader();
    await leader.kill();
    killedAt = Date.now();
    await sleep(3000);
    stop = true;
    await load;

    const final = await until('list after failover', 5000, () => client().list(service));
    const listed = new Set(ids(final));
    for (const id of acked) if (!removing.has(id)) expect(listed.has(id), `acknowledged ${id} missing`).toBe(true);
    for (const id of removed) expect(listed.has(id), `deregistered ${id} still listed`).toBe(false);
    const context = `leader killed @${killedAt - began}, listed @${Date.now() - began} (${listed.size} ids); live lease events: ${liveLog.join(', ') || 'none'}`;
    for (let i = 0; i < 10; i++) expect(listed.has(`live-${i}`), `live-${i} missing; ${context}`).toBe(true);
    for (const id of listed) expect(attempted.has(id) || id.startsWith('live-'), `unexpected ${id}`).toBe(true);
    expect(
      liveEvents.filter((t) => t === 'ended' || t === 'forgotten'),
      context,
    ).toEqual([]);
    expect(ackedAfterKill, 'registrations after the kill went to the other members').toBeGreaterThan(10);
    for (const error of failures) expect(isRosterError(error) && error.retryable, String(error)).toBe(true);

    // The watcher converges on the listed state, and every snapshot it delivered was the
    // service's exact state at that revision (read back from etcd's history).
    await until('watch converged', 5000, () => {
      const last = watch.seen.at(-1);
      return last && JSON.stringify(last.instances) === JSON.stringify(final.instances) ? true : undefined;
    });
    await watch.stop();
    const raw = rawClient();
    const key = Buffer.from(servicePrefix(PREFIX, service));
    for (let i = 1; i < watch.seen.length; i++) {
      expect((watch.seen[i] as Snapshot).revision).toBeGreaterThan((watch.seen[i - 1] as Snapshot).revision);
    }
    const wrong: number[] = [];
    for (let i = 0; i < watch.seen.length; i += 16) {
      await Promise.all(
        watch.seen.slice(i, i + 16).map(async (snap) => {
          const res = await raw.kv.range({ key, range_end: prefixRangeEnd(key), revision: snap.revision });
          if (JSON.stringify(snap.instances) !== JSON.stringify(decodeService(PREFIX, res.kvs.map(toKv)))) wrong.push(snap.revision);
        }),
      );
    }
    expect(wrong, 'watch snapshots that differ from etcd at their revision').toEqual([]);
    console.info(
      `leader kill: ${acked.size} registrations acknowledged (${ackedAfterKill} after the kill), ${removed.size} deregistered, ` +
        `${failures.length} failed (retryable), ${watch.seen.length} watch items checked against history`,
    );
  });

  it('a client paused (SIGSTOP) longer than its TTL re-grants its lease and rewrites its key within 1 s of SIGCONT', async () => {
    await cluster.heal();
    const service = uniqueService('paused');
    const key = `${servicePrefix(PREFIX, service)}p-1`;
    const child = await spawnTsChild(
      `
      import { etcdRegistry } from ${JSON.stringify(repoFileUrl('packages/roster/src/registry/etcd/index.ts'))};
      const registry = etcdRegistry({ url: process.env.ETCD_URL });
      const lease = await registry.register({ service: process.env.SERVICE, id: 'p-1', address: '127.0.0.1', port: 1, ttl: '2s' });
      lease.onEvent((e) => console.log(JSON.stringify({ event: e.type, at: Date.now() })));
      console.log(JSON.stringify({ ready: true }));
      setInterval(() => {}, 60_000);
      `,
      { ETCD_URL: cluster.url, SERVICE: service },
    );
    children.push(child);
    await child.waitForLine((l) => l.includes('"ready"'), 20_000);
    const raw = rawClient();
    const before = (await raw.get(key).exec()).kvs[0];
    expect(before).toBeDefined();
    const puts: { at: number; lease: string }[] = [];
    let deletedAt = 0;
    const watcher = await raw.watch().key(key).create();
    watcher.on('put', (kv) => puts.push({ at: Date.now(), lease: String(kv.lease) }));
    watcher.on('delete', () => {
      deletedAt = Date.now();
    });
    try {
      child.process.kill('SIGSTOP');
      await until('lease expired while paused', 6000, () => (deletedAt > 0 ? true : undefined));
      await sleep(500);
      const resumedAt = Date.now();
      child.process.kill('SIGCONT');
      const put = await until('key rewritten', 3000, () => puts.find((p) => p.at >= resumedAt));
      expect(put.at - resumedAt, 'rewritten within 1 s of SIGCONT').toBeLessThan(1000);
      expect(put.lease).not.toBe(String(before?.lease));
      await child.waitForLine((l) => l.includes('"restored"'), 3000);
      expect(child.lines.filter((l) => l.includes('"event"')).map((l) => JSON.parse(l).event)).toEqual(['forgotten', 'restored']);
      expect((await raw.getAll().prefix(servicePrefix(PREFIX, service)).keys()).length).toBe(1);
      console.info(`SIGSTOP: key rewritten ${put.at - resumedAt} ms after SIGCONT`);
    } finally {
      await watcher.cancel();
      await child.stop();
    }
  });

  it('without quorum, writes fail fast with a retryable error while watchers keep their last snapshot', async () => {
    await cluster.heal();
    const service = uniqueService('quorum');
    const owner = client();
    const lease = await owner.register({ service, id: 'q-1', address: '127.0.0.1', port: 1, ttl: '3s' });
    const events: LeaseEvent['type'][] = [];
    lease.onEvent((e) => events.push(e.type));
    const watch = collect(client(), service);
    await until('first watch item', 3000, () => (ids(watch.seen.at(-1)).join() === 'q-1' ? true : undefined));
    const seenBefore = watch.seen.length;

    const [survivor, ...doomed] = cluster.members as [(typeof cluster.members)[number], ...typeof cluster.members];
    await Promise.all(doomed.map((m) => m.kill()));
    await until('survivor lost its leader', 5000, async () => ((await survivor.healthy()) ? undefined : true));

    const writer = client();
    const started = Date.now();
    const error = await writer.register({ service, id: 'q-2', address: '127.0.0.1', port: 2 }).catch((e: unknown) => e);
    const took = Date.now() - started;
    expect(error).toMatchObject({ code: 'ROSTER_ERR_REGISTRY_UNAVAILABLE', retryable: true });
    expect(took, 'a write fails fast').toBeLessThan(1000);
    await expect(lease.setHealth('warning')).rejects.toMatchObject({ code: 'ROSTER_ERR_REGISTRY_UNAVAILABLE', retryable: true });

    await sleep(2000); // readers keep their view: the watch neither ends nor changes
    expect(watch.ended()).toBe(false);
    expect(watch.seen.length).toBe(seenBefore);
    expect(ids(watch.seen.at(-1))).toEqual(['q-1']);
    expect(lease.lost.aborted).toBe(false);
    expect(events).toContain('renew-failed');

    // Quorum back: writes succeed again and the same watch delivers the change.
    const healedAt = Date.now();
    await cluster.heal();
    await until('write after quorum is back', 15_000, () => writer.register({ service, id: 'q-3', address: '127.0.0.1', port: 3 }));
    const wrote = Date.now() - healedAt;
    // q-1's lease could not be renewed during the outage; etcd extends leases on election, so
    // the owner renews it in time unless the machine is very slow (then the lease restores it).
    await until('watch sees both', 10_000, () => (ids(watch.seen.at(-1)).join() === 'q-1,q-3' ? true : undefined));
    console.info(
      `quorum loss: a write failed after ${took} ms; after restarting the members a write succeeded at ${wrote} ms, ` +
        `the watch had it at ${Date.now() - healedAt} ms; q-1 ${events.includes('forgotten') ? 'expired and was restored' : 'stayed'}`,
    );
    await watch.stop();
  });
});
