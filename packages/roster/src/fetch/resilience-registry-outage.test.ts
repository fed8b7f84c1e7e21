/**
 * Resilience, end to end: the registry (a real roster serve) goes down under load and comes
 * back on the same port and data directory. Two discovery-aware clients (each with its own
 * Consul-backend connection, Resolver and Balancer) call three real loopback instances at
 * 200 calls/s throughout.
 *
 * - While the registry is down: 0 failed picks and 0 failed calls: picks read the in-memory
 *   picker; nothing on the call path waits on the registry.
 * - After the restart: both clients resume watching (a registration made after the restart
 *   reaches them), their reconnects drawn from their own jitter source.
 *
 * Outage length: ROSTER_OUTAGE_MS (default 5 s; the 60 s with ROSTER_OUTAGE_MS=60000).
 * Nothing in the client ages with the outage: the Resolver never expires its snapshot, and the
 * watch's reconnect delay is capped (1 s here), so after the first seconds every further second
 * of outage repeats the same state; 5 s covers several reconnect cycles at the cap.
 */
import diagnostics from 'node:diagnostics_channel';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type RosterServer } from '@rosterjs/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNELS } from '../diagnostics.js';
import { RegistryUnavailableError } from '../errors.js';
import type { SnapshotDiff } from '../resolver/diff.js';
import { consulRegistry } from '../registry/consul/consul-registry.js';
import type { Registry } from '../registry/registry.js';
import { createFetch, type DiscoveryFetch } from './create-fetch.js';
import { delay, eventually, type LoopbackInstance, startInstance, startLoad } from './test-support.js';

const OUTAGE_MS = Number(process.env.ROSTER_OUTAGE_MS ?? 5000);
const RATE = 200;
const BACKOFF = { baseMs: 100, maxMs: 1000 };

let dataDir: string;
let port = 0;
let url = '';
const servers: RosterServer[] = [];
let announcer: Registry;
const instances: LoopbackInstance[] = [];

interface Client {
  readonly registry: Registry;
  readonly fetch: DiscoveryFetch;
  /** Every jitter draw of this client's registry connection (one per reconnect wait). */
  readonly draws: number[];
}
const clients: Client[] = [];

function startClient(): Client {
  const draws: number[] = [];
  const registry = consulRegistry({
    url,
    watchWaitMs: 5000,
    backoff: BACKOFF,
    random: () => {
      const r = Math.random();
      draws.push(r);
      return r;
    },
  });
  const client = { registry, fetch: createFetch({ registry }), draws };
  clients.push(client);
  return client;
}

async function startRegistry(): Promise<void> {
  const server = createServer({ port, dataDir, logLevel: 'silent', sync: 'normal' });
  servers.push(server);
  const address = await server.listen();
  port = address.port;
  url = address.url;
}

async function addInstance(id: string): Promise<LoopbackInstance> {
  const instance = await startInstance(id, { delayMs: () => 1 + Math.random() * 2 });
  instances.push(instance);
  await announcer.register({ service: 'orders', id, address: '127.0.0.1', port: instance.port });
  return instance;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'roster-fetch-outage-'));
  await startRegistry();
  announcer = consulRegistry({ url, backoff: BACKOFF });
  for (let i = 1; i <= 3; i++) await addInstance(`orders-${i}`);
});

afterAll(async () => {
  for (const client of clients) {
    await client.fetch.close();
    await client.registry.close();
  }
  await announcer?.close();
  await Promise.all(instances.map((i) => i.close()));
  for (const server of servers) await server.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('the registry goes down under load and comes back', () => {
  it(
    `0 failed picks during a ${OUTAGE_MS / 1000} s outage; both clients resume watching after the restart`,
    async () => {
      const a = startClient();
      const b = startClient();
      for (const client of [a, b]) {
        for (let i = 0; i < 20; i++) await (await client.fetch.request('http://orders/warm-up')).body.dump();
      }
      const load = startLoad(
        RATE,
        async (i) => {
          const res = await (i % 2 === 0 ? a : b).fetch.request('http://orders/v1/items');
          await res.body.dump();
          return res.status;
        },
        OUTAGE_MS + 60_000,
      );
      await delay(1000);

      // Down: roster serve stops; the registry really is unreachable.
      const drawsBefore = [a.draws.length, b.draws.length];
      await servers[0]!.close();
      const callsBeforeOutage = load.started;
      await expect(announcer.list('orders')).rejects.toBeInstanceOf(RegistryUnavailableError);
      await delay(OUTAGE_MS);
      const callsInOutage = load.started - callsBeforeOutage;
      const failedInOutage = load.failed;
      const reconnectWaits = [a.draws.length - drawsBefore[0]!, b.draws.length - drawsBefore[1]!];

      // Back on the same port and data directory; a registration made now must reach both clients'
      // Resolvers (each publishes the snapshot that adds it; the client feeds it to its Balancer).
      let saw = 0;
      const onUpdate = (m: unknown) => {
        const { service, diff } = m as { service: string; diff: SnapshotDiff };
        if (service === 'orders' && diff.added.some((i) => i.id === 'orders-4')) saw++;
      };
      diagnostics.subscribe(CHANNELS.resolverUpdate, onUpdate);
      await startRegistry();
      const restartedAt = performance.now();
      const added = await addInstance('orders-4');
      const resumed = await eventually(() => saw >= 2, 15_000);
      const resumeMs = Math.round(performance.now() - restartedAt);
      diagnostics.unsubscribe(CHANNELS.resolverUpdate, onUpdate);
      await delay(1000);
      const result = await load.stop();
      const servedByNew = added.served;

      const statsA = a.fetch.stats();
      const statsB = b.fetch.stats();
      const failures = result.failures.slice(0, 5);
      const summary = JSON.stringify({ callsInOutage, failedInOutage, reconnectWaits, resumeMs, saw, servedByNew, failures });
      console.info(`registry outage: ${summary}`);
      expect(callsInOutage, summary).toBeGreaterThanOrEqual((RATE * OUTAGE_MS) / 1000 - RATE);
      expect(failedInOutage, summary).toBe(0);
      expect(result.failures, summary).toEqual([]);
      expect(statsA.noInstances + statsB.noInstances, summary).toBe(0);
      expect(statsA.failures + statsB.failures, summary).toBe(0);
      // Each client kept trying to reconnect while the registry was down, each wait from its own jitter.
      for (const waits of reconnectWaits) expect(waits, summary).toBeGreaterThanOrEqual(2);
      expect(resumed, summary).toBe(true);
      expect(saw, summary).toBe(2);
    },
    OUTAGE_MS + 60_000,
  );
});
