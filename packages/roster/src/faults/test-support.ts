/**
 * One fault run for the fault suites (test helper, not exported from the package): real loopback
 * instances announced with `announce()`, a caller making ~100 calls/s through `createFetch`,
 * and the checks every fault must pass afterwards — 0 failed calls, every announced instance
 * registered again, the caller's Resolver fresh (not stale, not holding) with every instance.
 */
import { announce } from '../agent/announce.js';
import type { Announcement } from '../agent/announcement.js';
import { createFetch, type DiscoveryFetch } from '../fetch/create-fetch.js';
import { type Load, type LoadResult, type LoopbackInstance, startInstance, startLoad } from '../fetch/test-support.js';
import type { Snapshot } from '../model.js';
import type { Registry } from '../registry/registry.js';
import { acquireResolver } from '../resolver/shared-resolvers.js';

/** Calls per second of every run's caller. */
export const CALLS_PER_SECOND = 100;
/** Calls each run makes at least. */
export const MIN_CALLS = 1000;

/** What a run needs. */
export interface FaultRunOptions {
  /** Names the run in the printed line and the service (`fault-<name>`). */
  readonly name: string;
  /** Instances announced. Default 2. */
  readonly instances?: number;
  /** Registry client of each announcing instance (one per instance). */
  readonly agentRegistry: () => Registry;
  /** Registry client of the caller. */
  readonly callerRegistry: Registry;
  /** Lists the service straight from the registry, around any fault (for the checks). */
  readonly list: (service: string) => Promise<Snapshot>;
}

/** A run in progress. */
export interface FaultRun {
  readonly service: string;
  readonly caller: DiscoveryFetch;
  readonly load: Load;
  readonly announcements: readonly Announcement[];
  /** Ids of the announced instances, sorted. */
  readonly ids: readonly string[];
  /** Ms until every announced instance is listed `passing` by the registry (polled every 25 ms), or throws after `limitMs`. */
  allRegistered(limitMs: number): Promise<number>;
  /** Waits until the caller's Resolver is fresh with every instance, or throws after `limitMs`. */
  callerFresh(limitMs: number): Promise<void>;
  /** Times the caller's Resolver held a snapshot back (ride-through), sampled every 10 ms. */
  readonly holds: number;
  /**
   * Makes the registry busy with real changes: the first instance reports `warning` and
   * `passing` in turn every `everyMs` (warning instances keep serving). Returns the stopper.
   */
  churn(everyMs: number): () => Promise<void>;
  /** Stops the load (after at least {@link MIN_CALLS} calls) and everything the run started; returns the load's result. */
  finish(): Promise<LoadResult>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until(what: string | (() => string), limitMs: number, probe: () => Promise<boolean> | boolean): Promise<number> {
  const start = Date.now();
  let last: unknown;
  for (;;) {
    try {
      if (await probe()) return Date.now() - start;
    } catch (error) {
      last = error;
    }
    if (Date.now() - start > limitMs)
      throw new Error(
        `${typeof what === 'string' ? what : what()}: not within ${limitMs} ms${last ? ` (last error: ${String(last)})` : ''}`,
      );
    await sleep(25);
  }
}

/** Starts instances, announces them, starts the caller's load once it sees them all. */
export async function startFaultRun(options: FaultRunOptions): Promise<FaultRun> {
  const service = `fault-${options.name}`;
  const count = options.instances ?? 2;
  const servers: LoopbackInstance[] = [];
  const agents: Registry[] = [];
  const announcements: Announcement[] = [];
  for (let i = 0; i < count; i++) {
    const id = `${service}-${i + 1}`;
    const server = await startInstance(id);
    servers.push(server);
    const registry = options.agentRegistry();
    agents.push(registry);
    announcements.push(
      await announce({
        registry,
        service,
        id,
        address: '127.0.0.1',
        port: server.port,
        signals: false,
        lagWatchdog: false,
        drain: { propagationMs: 0 },
      }),
    );
  }
  const ids = servers.map((s) => s.id).sort();
  const caller = createFetch({ registry: options.callerRegistry });
  const resolver = acquireResolver(options.callerRegistry, service);

  const allRegistered = (limitMs: number) =>
    until(`${service}: every instance registered and passing`, limitMs, async () => {
      const snap = await options.list(service);
      return ids.every((id) => snap.instances.some((i) => i.id === id && i.health === 'passing'));
    });
  const describeResolver = () => {
    const st = resolver.resolver.state();
    return JSON.stringify({
      instances: st.snapshot?.instances.map((i) => `${i.id}:${i.health}`),
      revision: st.snapshot?.revision,
      stale: st.stale,
      holding: st.holding,
      ageMs: st.ageMs,
      lastError: st.lastError?.message,
    });
  };
  const callerFresh = async (limitMs: number) => {
    await until(
      () => `${service}: the caller's Resolver fresh with every instance (${describeResolver()})`,
      limitMs,
      () => {
        const state = resolver.resolver.state();
        const seen = state.snapshot?.instances.filter((i) => i.health === 'passing').map((i) => i.id) ?? [];
        return !state.stale && !state.holding && ids.every((id) => seen.includes(id));
      },
    );
  };

  await callerFresh(15_000);
  let holds = 0;
  let held = false;
  const sampler = setInterval(() => {
    const now = resolver.resolver.state().holding;
    if (now && !held) holds++;
    held = now;
  }, 10);
  const t0 = Date.now();
  let debugFailures = 0;
  const load = startLoad(
    CALLS_PER_SECOND,
    async () => {
      try {
        const res = await caller.request(`http://${service}/`);
        await res.body.dump();
        return res.status;
      } catch (error) {
        if (process.env.FAULT_DEBUG && debugFailures++ < 5) {
          const st = resolver.resolver.state();
          console.log(
            `DEBUG ${service} +${Date.now() - t0}ms ${String(error)} resolver=${JSON.stringify({ ids: st.snapshot?.instances.map((i) => [i.id, i.port, i.health]), stale: st.stale, holding: st.holding })}`,
          );
        }
        throw error;
      }
    },
    10 * 60_000,
  );

  return {
    service,
    caller,
    load,
    announcements,
    ids,
    allRegistered,
    callerFresh,
    get holds() {
      return holds;
    },
    churn(everyMs) {
      let on = true;
      const first = announcements[0] as Announcement;
      const done = (async () => {
        for (let warning = true; on; warning = !warning) {
          await first.setHealth(warning ? 'warning' : 'passing');
          await sleep(everyMs);
        }
        await first.setHealth('passing');
      })();
      return async () => {
        on = false;
        await done;
      };
    },
    async finish() {
      while (load.started < MIN_CALLS) await sleep(100);
      const result = await load.stop();
      clearInterval(sampler);
      resolver.release();
      await caller.close();
      await Promise.allSettled(announcements.map((a) => a.drain()));
      await Promise.allSettled(agents.map((r) => r.close()));
      await Promise.allSettled(servers.map((s) => s.close()));
      return result;
    },
  };
}

/** The line every fault prints: calls and failures (with the first reasons). */
export function report(name: string, result: LoadResult, extra = ''): string {
  const reasons = [...new Set(result.failures)].slice(0, 3).join('; ');
  const line = `fault ${name}: ${result.calls} calls, ${result.failures.length} failed${extra ? `, ${extra}` : ''}${reasons ? ` (${reasons})` : ''}`;
  console.log(line);
  return line;
}
