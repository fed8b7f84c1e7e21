/**
 * Registry faults under load, Consul backend against the built `roster serve` (a separate process
 * killed with SIGKILL), through the fault proxy of test-support. Each fault is its own run (own
 * registry process, proxy, instances and caller) and the runs go concurrently. For each: ≥ 1,000
 * calls at ~100 calls/s through `createFetch` with default options; 0 failed calls; every
 * announced instance registered again after the fault; the caller's Resolver fresh afterwards.
 * The blackhole run also measures the CPU of a caller process during the 30 s blackhole.
 *
 * Needs the build (`npm run build`): `roster serve` runs from packages/cli/dist.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoFileUrl, spawnTsChild, type TsChild } from '../../../../test-support/etcd.js';
import { type FaultProxy, startFaultProxy } from '../../../../test-support/fault-proxy.js';
import { ROSTER_BIN, RosterProcess, stopAllRosterProcesses } from '../../../../test-support/roster-process.js';
import { existsSync } from 'node:fs';
import type { Snapshot } from '../model.js';
import { consulRegistry } from '../registry/consul/consul-registry.js';
import type { Registry } from '../registry/registry.js';
import { MIN_CALLS, report, startFaultRun } from './test-support.js';

const proxies: FaultProxy[] = [];
const registries: Registry[] = [];
const children: TsChild[] = [];

beforeAll(() => {
  if (!existsSync(ROSTER_BIN)) throw new Error(`${ROSTER_BIN} is missing: run \`npm run build\` first`);
});

import { monitorEventLoopDelay } from 'node:perf_hooks';
const lag = monitorEventLoopDelay({ resolution: 20 });
lag.enable();
const lagTimer = setInterval(() => {
  if (process.env.FAULT_DEBUG)
    console.log(`DEBUG lag max ${(lag.max / 1e6).toFixed(0)} ms p99 ${(lag.percentile(99) / 1e6).toFixed(0)} ms`);
  lag.reset();
}, 5000);
afterAll(async () => {
  clearInterval(lagTimer);
  await Promise.allSettled(children.map((c) => c.stop()));
  await Promise.allSettled(registries.map((r) => r.close()));
  await Promise.allSettled(proxies.map((p) => p.close()));
  await stopAllRosterProcesses();
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * At most two runs at a time (two lanes): each run's caller and instances live in this process,
 * and five loads at once (500 calls/s plus their answers) starve it on a loaded 2-core machine.
 */
const lanes = (() => {
  let free = 2;
  const queue: (() => void)[] = [];
  return {
    async run<T>(body: () => Promise<T>): Promise<T> {
      if (free > 0) free--;
      else await new Promise<void>((r) => queue.push(r));
      try {
        return await body();
      } finally {
        const next = queue.shift();
        if (next) next();
        else free++;
      }
    },
  };
})();

/** A registry process behind a fault proxy; clients given `proxy.url` never learn its real port. */
async function registryBehindProxy(): Promise<{ server: RosterProcess; proxy: FaultProxy; list: (s: string) => Promise<Snapshot> }> {
  const server = new RosterProcess();
  await server.start();
  const proxy = await startFaultProxy(server.endpoint);
  proxies.push(proxy);
  const list = async (service: string) => {
    const direct = consulRegistry({ url: server.url });
    try {
      return await direct.list(service);
    } finally {
      await direct.close();
    }
  };
  return { server, proxy, list };
}

function client(url: string): Registry {
  const r = consulRegistry({ url });
  registries.push(r);
  return r;
}

/** Restarts `server` (kill -9, down for `downMs`), keeping or losing its data; the proxy follows it. */
async function restart(server: RosterProcess, proxy: FaultProxy, emptyData: boolean, downMs: number): Promise<void> {
  await server.kill();
  await sleep(downMs);
  await server.start({ emptyData });
  proxy.retarget(server.endpoint);
}

const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(p * values.length))];

describe.concurrent('Consul backend (roster serve) under registry faults: 0 failed calls', () => {
  it('registry killed and restarted EMPTY, 10 cycles (the instances re-register by themselves)', { timeout: 175_000 }, () =>
    lanes.run(async () => {
      const { server, proxy, list } = await registryBehindProxy();
      // The instances reach the registry through a proxy of their own, so that in every other
      // cycle they can be kept away from the new, empty registry until the caller has seen it
      // empty: the race the issue lost in 5 of 22 runs, made certain.
      const agentProxy = await startFaultProxy(server.endpoint);
      proxies.push(agentProxy);
      const run = await startFaultRun({
        name: 'empty-restart',
        agentRegistry: () => client(agentProxy.url),
        callerRegistry: client(proxy.url),
        list,
      });
      const reregisterMs: number[] = [];
      let delayedHolds = 0;
      for (let cycle = 0; cycle < 10; cycle++) {
        const delayed = cycle % 2 === 1;
        const holdsBefore = run.holds;
        if (delayed) agentProxy.drop();
        await restart(server, proxy, true, 300 + cycle * 50);
        agentProxy.retarget(server.endpoint);
        if (delayed) {
          // The caller reconnects within its watch backoff (≤ 10 s ceiling); the instances come as soon as it held.
          const until = Date.now() + 12_000;
          while (run.holds === holdsBefore && Date.now() < until) await sleep(20);
          if (run.holds > holdsBefore) delayedHolds++;
          agentProxy.heal();
        }
        const ms = await run.allRegistered(20_000);
        if (!delayed) reregisterMs.push(ms);
        await run.callerFresh(20_000);
      }
      while (run.load.started < MIN_CALLS) await sleep(100);
      const result = await run.finish();
      report(
        'registry restarted empty ×10',
        result,
        `re-registered by themselves after ${Math.min(...reregisterMs)}–${Math.max(...reregisterMs)} ms (median ${percentile(reregisterMs, 0.5)}); ` +
          `the caller's Resolver held an empty list ${run.holds} times (${delayedHolds} of 5 cycles with the instances kept away)`,
      );
      expect(server.starts).toBe(11);
      expect(result.calls).toBeGreaterThanOrEqual(MIN_CALLS);
      expect(result.failures).toEqual([]);
      // Ride-through did the work: the caller saw the empty registry and held its list.
      expect(delayedHolds).toBeGreaterThanOrEqual(3);
    }),
  );

  it('callers blackholed from the registry for 30 s, then healed; a caller process stays under 5 % CPU', { timeout: 175_000 }, () =>
    lanes.run(async () => {
      const { server, proxy, list } = await registryBehindProxy();
      // The instances reach the registry directly: only the callers are cut off.
      const run = await startFaultRun({
        name: 'blackhole',
        agentRegistry: () => client(server.url),
        callerRegistry: client(proxy.url),
        list,
      });
      // A second caller in its own process, whose CPU time is its own: process.cpuUsage every second.
      const child = await spawnTsChild(
        `
      import { createFetch } from ${JSON.stringify(repoFileUrl('packages/roster/src/index.ts'))};
      import { consulRegistry } from ${JSON.stringify(repoFileUrl('packages/roster/src/registry/consul/index.ts'))};
      const caller = createFetch({ registry: consulRegistry({ url: process.env.REGISTRY_URL }) });
      let failed = 0;
      setInterval(async () => {
        try { const res = await caller.request('http://' + process.env.SERVICE + '/'); await res.body.dump(); if (res.status >= 500) failed++; }
        catch { failed++; }
        const cpu = process.cpuUsage();
        console.log(JSON.stringify({ cpuUs: cpu.user + cpu.system, at: Date.now(), failed }));
      }, 1000);
      `,
        { REGISTRY_URL: proxy.url, SERVICE: run.service },
      );
      children.push(child);
      const sample = () => {
        const line = child.lines.at(-1);
        return line ? (JSON.parse(line) as { cpuUs: number; at: number; failed: number }) : undefined;
      };
      await child.waitForLine((l) => l.includes('cpuUs'), 30_000);
      await sleep(3000); // past the child's start-up work (module loading, first snapshot)
      proxy.blackhole();
      const before = sample();
      await sleep(30_000);
      const after = sample();
      proxy.heal();
      await run.allRegistered(20_000);
      await run.callerFresh(20_000);
      const result = await run.finish();
      await child.stop();
      if (!before || !after) throw new Error('the caller process printed no CPU samples');
      const cpuShare = (after.cpuUs - before.cpuUs) / 1000 / (after.at - before.at);
      report(
        'callers blackholed 30 s',
        result,
        `caller process CPU ${(cpuShare * 100).toFixed(2)} % of a core, its calls failed: ${after.failed}`,
      );
      expect(result.calls).toBeGreaterThanOrEqual(MIN_CALLS);
      expect(result.failures).toEqual([]);
      expect(after.failed).toBe(0);
      expect(cpuShare).toBeLessThan(0.05);
    }),
  );

  it('registry killed and restarted with its data, 3 cycles', { timeout: 175_000 }, () =>
    lanes.run(async () => {
      const { server, proxy, list } = await registryBehindProxy();
      const run = await startFaultRun({
        name: 'data-restart',
        agentRegistry: () => client(proxy.url),
        callerRegistry: client(proxy.url),
        list,
      });
      for (let cycle = 0; cycle < 3; cycle++) {
        await sleep(2000);
        await restart(server, proxy, false, 1000);
        await run.allRegistered(20_000);
        await run.callerFresh(20_000);
      }
      const result = await run.finish();
      report('registry restarted with its data ×3', result);
      expect(result.calls).toBeGreaterThanOrEqual(MIN_CALLS);
      expect(result.failures).toEqual([]);
    }),
  );

  it('slow registry: every answer 2 s late for 15 s', { timeout: 175_000 }, () =>
    lanes.run(async () => {
      const { proxy, list } = await registryBehindProxy();
      const run = await startFaultRun({ name: 'slow', agentRegistry: () => client(proxy.url), callerRegistry: client(proxy.url), list });
      const stopChurn = run.churn(500);
      proxy.delay(2000, 'down');
      await sleep(15_000);
      proxy.heal();
      await stopChurn();
      await run.allRegistered(20_000);
      await run.callerFresh(20_000);
      const result = await run.finish();
      report('registry answers 2 s late', result);
      expect(result.calls).toBeGreaterThanOrEqual(MIN_CALLS);
      expect(result.failures).toEqual([]);
    }),
  );

  it('connections reset mid-answer (30 % of answers cut) for 15 s', { timeout: 175_000 }, () =>
    lanes.run(async () => {
      const { proxy, list } = await registryBehindProxy();
      const run = await startFaultRun({ name: 'cut', agentRegistry: () => client(proxy.url), callerRegistry: client(proxy.url), list });
      const stopChurn = run.churn(300);
      proxy.cut(0.3);
      await sleep(15_000);
      const cut = proxy.stats().faulted;
      proxy.heal();
      await stopChurn();
      await run.allRegistered(20_000);
      await run.callerFresh(20_000);
      const result = await run.finish();
      report('answers cut mid-body', result, `${cut} connections cut`);
      expect(cut).toBeGreaterThan(5);
      expect(result.calls).toBeGreaterThanOrEqual(MIN_CALLS);
      expect(result.failures).toEqual([]);
    }),
  );
});
