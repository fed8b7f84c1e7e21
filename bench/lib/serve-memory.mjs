// (e) of bench/serve.bench.mjs: resident memory per registered instance, roster serve vs etcd.
// Every repetition starts a fresh roster serve and a fresh etcd, reads their VmRSS, fills both
// with the same instances (bounded concurrency, bounded time), waits for them to settle and reads
// VmRSS again: at 10k instances in every repetition, then on to 100k in the first `bigReps`
// repetitions as long as the time budget lasts (the 10k steps always run).
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { etcdClient, httpPool } from './clients.mjs';
import { rssBytes, startEtcd, startRoster } from './procs.mjs';
import { etcdBulkPut, rosterBulkRegister } from './serve-metrics.mjs';
import { median } from './stats.mjs';

/** VmRSS after `settleMs`: the median of 3 readings 250 ms apart. */
async function settledRss(pid, settleMs) {
  await sleep(settleMs);
  const xs = [];
  for (let i = 0; i < 3; i++) {
    xs.push(rssBytes(pid));
    await sleep(250);
  }
  return median(xs);
}

/**
 * Returns per repetition: baseline RSS, RSS and instance count reached at each step, for both.
 * Roster registers instances without checks (`PUT /v1/agent/service/register`); etcd gets one
 * key per instance (put, no lease) with the value roster's etcd backend would write.
 */
export async function measureMemory({
  reps,
  steps = [10_000, 100_000],
  bigReps = 5,
  stepTimeMs = 90_000,
  budgetMs = 240_000,
  base,
  settleMs = 1500,
  log,
}) {
  const started = performance.now();
  const out = [];
  for (let rep = 0; rep < reps; rep++) {
    const big = rep < bigReps && (rep === 0 || performance.now() - started < budgetMs);
    if (rep < bigReps && !big) log(`(e) time budget of ${budgetMs / 1000} s spent: repetition ${rep + 1} stops at ${steps[0]}`);
    const roster = await startRoster({ sync: 'full', base, name: 'roster (memory)' });
    let etcd;
    let pool;
    let client;
    try {
      etcd = await startEtcd({ base });
      pool = httpPool(roster.url, 64);
      client = etcdClient(etcd.endpoint);
      await client.put('/warm').value('x'); // connect before the baseline
      const r = { roster: { base: await settledRss(roster.pid, settleMs) }, etcd: { base: await settledRss(etcd.pid, 0) }, steps: [] };
      const sides = [
        { name: 'roster', pid: roster.pid, load: (ids) => rosterBulkRegister(pool, 'mem', ids, { timeMs: stepTimeMs }) },
        { name: 'etcd', pid: etcd.pid, load: (ids) => etcdBulkPut(client, 'mem', ids, { timeMs: stepTimeMs }) },
      ];
      const reached = { roster: 0, etcd: 0 };
      const lastSteps = big ? steps : steps.slice(0, 1);
      for (const target of lastSteps) {
        const step = { target };
        for (const side of rep % 2 === 0 ? sides : [...sides].reverse()) {
          const from = reached[side.name];
          if (from < target) {
            const ids = Array.from({ length: target - from }, (_, i) => `mem-${from + i}`);
            const t0 = performance.now();
            const done = await side.load(ids);
            reached[side.name] = from + done;
            log(
              `(e) rep ${rep + 1} ${side.name}: ${reached[side.name]} instances (${((done * 1000) / (performance.now() - t0)).toFixed(0)}/s)`,
            );
          }
          const rss = await settledRss(side.pid, settleMs);
          const n = reached[side.name];
          step[side.name] = { instances: n, rss, perInstance: (rss - r[side.name].base) / n };
        }
        step.ratio = step.roster.perInstance / step.etcd.perInstance;
        log(
          `(e) rep ${rep + 1} @${target}: roster ${(step.roster.perInstance / 1024).toFixed(2)} KiB/instance (${step.roster.instances}), etcd ${(step.etcd.perInstance / 1024).toFixed(2)} KiB/key (${step.etcd.instances})`,
        );
        r.steps.push(step);
      }
      out.push(r);
    } finally {
      client?.close();
      await pool?.destroy();
      await etcd?.stop();
      await roster.stop();
    }
  }
  const summary = {};
  for (const target of steps) {
    const at = out.map((r) => r.steps.find((s) => s.target === target)).filter(Boolean);
    if (at.length === 0) continue;
    summary[target] = {
      reps: at.length,
      rosterPerInstance: median(at.map((s) => s.roster.perInstance)),
      etcdPerInstance: median(at.map((s) => s.etcd.perInstance)),
      rosterReached: Math.min(...at.map((s) => s.roster.instances)),
      etcdReached: Math.min(...at.map((s) => s.etcd.instances)),
      rosterRss: median(at.map((s) => s.roster.rss)),
      etcdRss: median(at.map((s) => s.etcd.rss)),
      ratio: median(at.map((s) => s.ratio)),
    };
  }
  // The marginal cost between the two steps (where a repetition reached both).
  const marginal = out
    .filter((r) => r.steps.length > 1)
    .map((r) => {
      const [a, b] = r.steps;
      const per = (side) => (b[side].rss - a[side].rss) / (b[side].instances - a[side].instances);
      return { roster: per('roster'), etcd: per('etcd') };
    });
  if (marginal.length > 0) {
    summary.marginal = {
      reps: marginal.length,
      roster: median(marginal.map((m) => m.roster)),
      etcd: median(marginal.map((m) => m.etcd)),
      ratio: median(marginal.map((m) => m.roster / m.etcd)),
    };
  }
  return { reps: out, summary };
}
