#!/usr/bin/env node
// fanout.bench.mjs: one change seen by many watchers, three ways in one run (bench/lib/fanout.mjs):
// roster serve's streaming watch (100 connections × 100 services), 10,000 blocking queries
// (one connection each), and etcd (100 etcd3 clients × 100 prefix watchers).
//
//   one change   → the last of its 100 watchers notified, p99    goal: stream ≤ etcd
//   a burst changing all 100 services → the last of 10,000, p99  goal: stream ≤ etcd
//   server CPU per change                                        goal: stream ≤ 0.5× blocking
//
// Loopback only; every wait is bounded (60 s), every process and connection is closed.
// Run:  npx tsc -b packages/roster packages/server packages/cli && node bench/fanout.bench.mjs
//       (or: npm run bench -- fanout)
// Options: --reps N (default 3)  --clients N (100)  --services N (100)  --singles N (20 one-service
//          changes per phase)  --bursts N (3 per phase)  --sync full|normal (roster, default full)
//          --quick (10 × 10, 2 reps)  --base DIR (data dirs)  --json FILE (raw results)
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { measureFanout } from './lib/fanout.mjs';
import { fmt, fmtRatio, table } from './lib/stats.mjs';

const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
};
const quick = argv.includes('--quick');
const load = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const loadBefore = load();
const startedAt = new Date();
let commit = 'unknown';
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', cwd: new URL('..', import.meta.url) }).trim();
} catch {
  // reported as unknown
}
const r = await measureFanout({
  reps: Number(opt('reps', quick ? 2 : 3)),
  clients: Number(opt('clients', quick ? 10 : 100)),
  services: Number(opt('services', quick ? 10 : 100)),
  singles: Number(opt('singles', quick ? 5 : 20)),
  bursts: Number(opt('bursts', quick ? 2 : 3)),
  sync: opt('sync', 'full'),
  base: opt('base', os.tmpdir()),
  log: (line) => console.error(line),
});
const seconds = (performance.now() / 1000).toFixed(0);
const yes = (ok) => (ok ? 'yes' : '**no**');
const { stream: s, blocking: b, etcd: e } = r;
const watches = r.clients * r.services;
console.log(
  [
    `- machine: ${os.cpus()[0]?.model ?? 'unknown'}, ${os.cpus().length} cores (load average ${loadBefore} at the start, ${load()} at the end), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`,
    `- date ${startedAt.toISOString()}, roster at ${commit}, ${seconds} s; ${r.reps} repetitions (ways interleaved), each ${r.singles} one-service changes and ${r.bursts} bursts per way; roster --sync ${r.sync}, etcd defaults`,
    `- command: \`node bench/fanout.bench.mjs${argv.length ? ` ${argv.join(' ')}` : ''}\``,
    '',
    table(
      ['measure', 'streaming watch', 'blocking queries', 'etcd', 'goal', 'met?'],
      [
        [
          `one change → last of ${r.clients} watchers, p99 (p50)`,
          `${fmt(s.singleP99, 'ms')} (${fmt(s.singleP50, 'ms')})`,
          `${fmt(b.singleP99, 'ms')} (${fmt(b.singleP50, 'ms')})`,
          `${fmt(e.singleP99, 'ms')} (${fmt(e.singleP50, 'ms')})`,
          'stream ≤ etcd',
          yes(s.singleP99 <= e.singleP99),
        ],
        [
          `burst of ${r.services} changes → last of ${watches.toLocaleString('en-US')}, p99 (p50)`,
          `${fmt(s.burstP99, 'ms')} (${fmt(s.burstP50, 'ms')})`,
          `${fmt(b.burstP99, 'ms')} (${fmt(b.burstP50, 'ms')})`,
          `${fmt(e.burstP99, 'ms')} (${fmt(e.burstP50, 'ms')})`,
          'stream ≤ etcd',
          yes(s.burstP99 <= e.burstP99),
        ],
        [
          'server CPU per change (median over reps)',
          fmt(s.cpuPerChangeMs, 'ms'),
          fmt(b.cpuPerChangeMs, 'ms'),
          fmt(e.cpuPerChangeMs, 'ms'),
          `stream ≤ 0.5× blocking (${fmtRatio(s.cpuPerChangeMs / b.cpuPerChangeMs)})`,
          yes(s.cpuPerChangeMs <= 0.5 * b.cpuPerChangeMs),
        ],
      ],
    ),
    '',
    `Server CPU to answer ${r.wakeCpu.holders.toLocaleString('en-US')} blocking queries woken by one change: ${fmt(r.wakeCpu.roster, 'ms')}, vs ${fmt(r.wakeCpu.bare, 'ms')} for the bare Node server answering as many held requests (${fmtRatio(r.wakeCpu.ratio)}; median of ${r.wakeCpu.rounds} rounds).`,
    '',
    `Samples per way: ${s.samples.single} one-service changes, ${s.samples.burst} bursts (with this few, p99 is the worst sample). Blocking queries retried after a connection error while opening: ${b.retried}.`,
  ].join('\n'),
);
const json = opt('json', undefined);
if (json) writeFileSync(json, JSON.stringify(r, null, 2));
