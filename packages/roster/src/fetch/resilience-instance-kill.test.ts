/**
 * Resilience, end to end: 5 real loopback HTTP instances registered in a real roster serve
 * (through the Consul backend), a discovery-aware client calling them at 200 calls/s, and one
 * instance killed mid-run like a crash (listener closed, sockets destroyed, not deregistered,
 * so the registry keeps listing it as passing). Retries onto other instances and outlier
 * ejection must hide it: at most 0.1 % of the calls may fail for the caller. Each instance takes
 * 5–15 ms per call, so the kill also cuts calls in flight (reset sockets), not only new ones.
 */
import diagnostics from 'node:diagnostics_channel';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type RosterServer } from '@rosterjs/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNELS } from '../diagnostics.js';
import { consulRegistry } from '../registry/consul/consul-registry.js';
import type { Registry } from '../registry/registry.js';
import { createFetch, type DiscoveryFetch } from './create-fetch.js';
import { delay, type LoopbackInstance, startInstance, startLoad } from './test-support.js';

const RATE = 200;
const RUN_MS = 10_000;
const KILL_AT_MS = 3000;

let dataDir: string;
let server: RosterServer;
let announcer: Registry;
let watcher: Registry;
let fetch: DiscoveryFetch;
const instances: LoopbackInstance[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'roster-fetch-kill-'));
  server = createServer({ port: 0, dataDir, logLevel: 'silent', sync: 'normal' });
  const { url } = await server.listen();
  announcer = consulRegistry({ url });
  watcher = consulRegistry({ url, watchWaitMs: 5000 });
  for (let i = 1; i <= 5; i++) {
    // 5–15 ms per call, so that calls are in flight on the victim when it dies.
    const instance = await startInstance(`orders-${i}`, { delayMs: () => 5 + Math.random() * 10 });
    instances.push(instance);
    await announcer.register({ service: 'orders', id: instance.id, address: '127.0.0.1', port: instance.port });
  }
  fetch = createFetch({ registry: watcher });
});

afterAll(async () => {
  await fetch?.close();
  await watcher?.close();
  await announcer?.close();
  await Promise.all(instances.map((i) => i.close()));
  await server?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('one of five instances dies under load', () => {
  it(`≤ 0.1 % of ${(RATE * RUN_MS) / 1000} calls at ${RATE}/s fail when an instance is killed at ${KILL_AT_MS / 1000} s`, async () => {
    const ejections: { instanceId: string; ejected: boolean }[] = [];
    const onEjection = (m: unknown) => ejections.push(m as { instanceId: string; ejected: boolean });
    const retries: unknown[] = [];
    const onRetry = (m: unknown) => retries.push(m);
    diagnostics.subscribe(CHANNELS.ejection, onEjection);
    diagnostics.subscribe(CHANNELS.retry, onRetry);
    try {
      // The client has its snapshot before the run starts.
      for (let i = 0; i < 20; i++) await (await fetch.request('http://orders/warm-up')).body.dump();

      const load = startLoad(
        RATE,
        async () => {
          const res = await fetch.request('http://orders/v1/items');
          await res.body.dump();
          return res.status;
        },
        RUN_MS,
        (RATE * RUN_MS) / 1000,
      );
      await delay(KILL_AT_MS);
      // The victim: the instance the client uses most, killed while it holds a call (more if it
      // has them), so that calls die mid-flight, not only at connect.
      const victim = instances.reduce((a, b) => (b.served > a.served ? b : a));
      const survivors = instances.filter((i) => i !== victim);
      const servedBeforeKill = victim.served;
      await victim.killDuringNextRequest();
      const inflightAtKill = victim.inflight;
      const startedAtKill = load.started;
      const survivorsBefore = survivors.reduce((sum, i) => sum + i.served, 0);
      await delay(RUN_MS - KILL_AT_MS + 200);
      const result = await load.stop();
      const survivorsServed = survivors.reduce((sum, i) => sum + i.served, 0) - survivorsBefore;

      const stats = fetch.stats();
      console.info(
        `instance kill: ${result.calls} calls, ${result.failures.length} failed, ${stats.retries} retries, ` +
          `${stats.ejections} ejection(s), victim served ${servedBeforeKill} before the kill, ${inflightAtKill} in flight at the kill`,
        `(retry reasons: ${retries.map((r) => (r as { reason: string }).reason).join(', ')})`,
        result.failures.slice(0, 5),
      );
      const failures = result.failures.slice(0, 5);
      const summary = JSON.stringify({ calls: result.calls, startedAtKill, survivorsServed, failures, stats, ejections });
      expect(result.calls, summary).toBe((RATE * RUN_MS) / 1000);
      expect(startedAtKill, summary).toBeGreaterThan(400);
      expect(result.failures.length, summary).toBeLessThanOrEqual(result.calls * 0.001);
      // The dead instance was found out by the calls, not the registry: ejected, and retried around.
      expect(ejections, summary).toContainEqual(expect.objectContaining({ service: 'orders', instanceId: victim.id, ejected: true }));
      expect(retries.length, summary).toBeGreaterThan(0);
      expect(stats.services.orders?.instances[victim.id]?.failed, summary).toBeGreaterThan(0);
      // The survivors took the load: every call started after the kill (and the retried ones).
      expect(survivorsServed, summary).toBeGreaterThanOrEqual(result.calls - startedAtKill);
    } finally {
      diagnostics.unsubscribe(CHANNELS.ejection, onEjection);
      diagnostics.unsubscribe(CHANNELS.retry, onRetry);
    }
  }, 40_000);
});
