/**
 * The 60-second soak in CI (issue 18, item 5): the built `roster serve` in a child process over
 * real loopback sockets, under TTL heartbeats, blocking-query watchers (one connection each) and
 * registrations + deregistrations, driven by the same load as `npm run bench -- soak`
 * (bench/lib/soak.mjs) at a lighter load that leaves CPU to the other test files running in
 * parallel on 2 cores (docs/benchmarks.md, "The soak"). Asserts 0 errors and bounded
 * descriptors — during the load, and back to the idle count once the load's connections are
 * closed — never timings. Needs the build (`npm run build`).
 */
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { fdsOf, runSoak } from '../../../bench/lib/soak.mjs';
import { ROSTER_BIN, RosterProcess, stopAllRosterProcesses } from '../../../test-support/roster-process.js';

const LOAD = { seconds: 60, services: 20, heartbeatsPerSecond: 200, watchers: 200, churnPerSecond: 5, heartbeatConnections: 8 };
/** Descriptors of the load beyond the idle server: watchers + heartbeat pool + churn pool + metrics. */
const LOAD_CONNECTIONS = LOAD.watchers + LOAD.heartbeatConnections + 4 + 1;

afterAll(stopAllRosterProcesses);

describe.skipIf(!existsSync(ROSTER_BIN))('soak (60 s in CI)', () => {
  it('serves heartbeats, watchers and churn for 60 s with 0 errors and bounded descriptors', { timeout: 240_000 }, async () => {
    const roster = new RosterProcess();
    try {
      const url = await roster.start();
      const pid = roster.pid!;
      await sleep(500);
      const idleFds = fdsOf(pid);
      const result = await runSoak({ url, pid, ...LOAD, signal: AbortSignal.timeout(200_000) });

      expect(result.errors).toStrictEqual([]);
      expect(result.counts.errors).toBe(0);
      // The load really ran: every loop made progress (counts, not rates).
      expect(result.counts.heartbeats).toBeGreaterThan(1000);
      expect(result.counts.registrations).toBeGreaterThan(20);
      expect(result.counts.deregistrations).toBeGreaterThan(10);
      expect(result.counts.watcherWakes).toBeGreaterThan(0);
      expect(result.samples.length).toBeGreaterThanOrEqual(6);

      // Bounded: never more descriptors than the idle server plus one per load connection (and
      // a little for SQLite's WAL and the like).
      for (const s of result.samples)
        expect(s.fds, `descriptors at ${s.t.toFixed(0)} s`).toBeLessThanOrEqual(idleFds + LOAD_CONNECTIONS + 16);

      // And they are given back: once the load's connections are closed, the server returns to
      // (about) its idle count (bounded wait for the sockets' close to arrive).
      let after = fdsOf(pid);
      for (let i = 0; i < 100 && after > idleFds + 8; i++) {
        await sleep(100);
        after = fdsOf(pid);
      }
      expect(after).toBeLessThanOrEqual(idleFds + 8);
    } finally {
      await roster.stop();
    }
  });
});
