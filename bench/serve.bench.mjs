#!/usr/bin/env node
// serve.bench.mjs: roster serve (issue 3) against a single-node etcd and a bare Node `http` hello
// world, in one run, interleaved, with the median over repetitions of each ratio:
//
//   (a) registrations/s with a durable ack, 1 and 64 concurrent clients: PUT
//       /v1/agent/service/register (instance + TTL check; --sync full, and --sync normal) vs etcd
//       lease grant + put with the lease (etcd3)                              target ≥ 5× etcd at 64
//       (and, for reference, the bare Node server's durable ack: bench/lib/bare-server.mjs PUT /durable)
//   (b) p50/p99 of GET /v1/health/service/<1,000 instances> vs etcd prefix get of 1,000 keys
//                                                                            target ≤ 0.1× etcd
//   (c) change → woken blocked query p50 vs etcd watch delivery; with 1,000 held queries (1,000
//       watchers) the last one woken, p99                          target ≤ 0.5× etcd and ≤ 50 ms
//   (d) TTL renewals/s (PUT /v1/agent/check/pass/<id>) vs etcd lease keepalives and vs the bare
//       server, 64 concurrent                                target ≥ 2× etcd and ≥ 0.8× bare Node
//   (e) RSS per registered instance at 10k and 100k instances vs etcd per key     target ≤ 1×
//   (f) server CPU time per small read (GET /v1/status/leader) vs the bare server   target ≤ 1.25×
//
// Every server is its own child process (roster serve through the CLI, etcd, bench/lib/bare-server.mjs)
// so /proc/<pid> gives its RSS and CPU time; the load client is this process (undici with
// keep-alive, the etcd3 client), loopback only. Every loop is bounded in count and in time; every
// process started is stopped (finally blocks, and an 'exit' handler for the worst case).
//
// Run:  npx tsc -b packages/roster packages/server packages/cli && node bench/serve.bench.mjs
//       (or: npm run bench -- serve)
// Options: --reps N (default 5)   --only a,b,c,d,e,f   --quick (small counts, a smoke test)
//          --big-reps N (repetitions that go on to 100k instances in (e), default 5, as long as
//          (e)'s time budget of 4 minutes lasts)
//          --count-a N64,N1 (timed registrations per contender and repetition in (a), at 64 clients
//          and at 1)
//          --warmup-a N64,N1 (registrations per contender before (a) is timed, at 64 clients and
//          at 1; default 3000,5000)
//          --warmup-b N (untimed rounds of every reader before (b) is timed; default 2000, D191)
//          --warmup-c N (untimed rounds of every side before (c)'s 1,000 waiters are timed;
//          default 40, D192)
//          --base DIR (where data dirs go, default the OS temp dir)   --json FILE (raw results)
//          --profile a|b|c|d|f (one repetition of that measurement with roster serve under
//          node --cpu-prof; prints where its CPU time goes; ROSTER_BENCH_KEEP_PROFILE=1 keeps
//          the .cpuprofile files, to open in Chrome DevTools); --profile e: V8 heap snapshots
//          of roster serve before and after 20k registrations (after 5k for warm-up), bytes per
//          instance by constructor
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { etcdClient, httpPool } from './lib/clients.mjs';
import { profileTables, summarizeProfile, windows } from './lib/cpuprofile.mjs';
import { startBare, startEtcd, startFastify, startRoster } from './lib/procs.mjs';
import { heapPerInstance } from './lib/heapsnapshot.mjs';
import { measureMemory } from './lib/serve-memory.mjs';
import { measureBigRead, measureCpu, measureRegistrations, measureRenewals, measureWake } from './lib/serve-metrics.mjs';
import { fmt, fmtRatio, table } from './lib/stats.mjs';

const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
};
const quick = argv.includes('--quick');
const profile = opt('profile', undefined);
const reps = Number(opt('reps', profile ? 1 : quick ? 2 : 5));
const only = new Set((profile ?? opt('only', 'a,b,c,d,e,f')).split(','));
const bigReps = Number(opt('big-reps', quick ? 0 : 5));
const base = opt('base', os.tmpdir());
const jsonFile = opt('json', undefined);
// (a)'s untimed warm-up per contender, registrations at 64 clients and at 1 (`--warmup-a 3000,300`: the
// one before D192; `--warmup-a 300,0`: the one before D160).
const warmupA = opt('warmup-a', undefined)?.split(',').map(Number);
// (a)'s timed registrations per contender and repetition, at 64 clients and at 1.
const countA = opt('count-a', undefined)?.split(',').map(Number);
// (b)'s untimed rounds of every reader (`--warmup-b 50`: the old one).
const warmupB = opt('warmup-b', undefined);
// (c)'s untimed rounds of 1,000 waiters on every side (`--warmup-c 1`: the old one).
const warmupC = opt('warmup-c', undefined);
const log = (line) => console.error(line);
const startedAt = new Date();
const t0 = performance.now();

const machine = () => {
  let etcdVersion = 'unknown';
  try {
    etcdVersion = /etcd Version: (\S+)/.exec(execFileSync('etcd', ['--version'], { encoding: 'utf8' }))?.[1] ?? etcdVersion;
  } catch {
    // reported as unknown
  }
  let fs = 'unknown';
  try {
    fs = execFileSync('findmnt', ['-n', '-o', 'FSTYPE', '-T', base], { encoding: 'utf8' }).trim();
  } catch {
    // reported as unknown
  }
  let commit = 'unknown';
  try {
    const git = (...args) => execFileSync('git', args, { encoding: 'utf8', cwd: new URL('..', import.meta.url) }).trim();
    const dirty = git('status', '--porcelain', '--', 'packages/roster/src', 'packages/server/src', 'packages/cli/src')
      .split('\n')
      .filter(Boolean).length;
    commit = `${git('rev-parse', '--short', 'HEAD')}${dirty ? ` (+ ${dirty} uncommitted source files under packages/ at the time)` : ''}`;
  } catch {
    // reported as unknown
  }
  return {
    commit,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memGiB: os.totalmem() / 2 ** 30,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    etcd: etcdVersion,
    dataFs: `${base} (${fs})`,
    load: os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' '),
  };
};

const counts = quick
  ? {
      a: { counts: { 1: 50, 64: 500 }, warmup: { 64: 300, 1: 50 } },
      b: { ops: 60, warmup: 10, afterChangeOps: 20 },
      c: { ops: 15, rounds: 3, warmupRounds: 2 },
      d: { count: 3000, warmup: 500 },
      f: { count: 3000, warmup: 500 },
    }
  : { a: {}, b: {}, c: {}, d: {}, f: {} };

const results = { machine: machine(), reps };
const profileDir = profile ? mkdtempSync(join(os.tmpdir(), 'roster-bench-prof-')) : undefined;
windows.enabled = profile !== undefined;

if (['a', 'b', 'c', 'd', 'f'].some((m) => only.has(m))) {
  const procs = [];
  const pools = [];
  let etcd;
  try {
    const nodeArgs = profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
    const full = await startRoster({ sync: 'full', base, nodeArgs });
    procs.push(full);
    const normal = (only.has('a') || only.has('c')) && !profile ? await startRoster({ sync: 'normal', base }) : undefined;
    if (normal) procs.push(normal);
    const etcdProc = await startEtcd({ base });
    procs.push(etcdProc);
    const bare = await startBare();
    procs.push(bare);
    const fastify = only.has('d') || only.has('f') ? await startFastify() : undefined;
    if (fastify) procs.push(fastify);
    etcd = etcdClient(etcdProc.endpoint);
    const env = {
      full: httpPool(full.url),
      normal: normal ? httpPool(normal.url) : undefined,
      bare: httpPool(bare.url),
      fastify: fastify ? httpPool(fastify.url) : undefined,
      fastifyPid: fastify?.pid,
      etcd,
      fullUrl: full.url,
      normalUrl: normal?.url,
      bareUrl: bare.url,
      fullPid: full.pid,
      normalPid: normal?.pid,
      etcdPid: etcdProc.pid,
      barePid: bare.pid,
      etcdEndpoint: etcdProc.endpoint,
    };
    pools.push(env.full, env.bare, ...(env.normal ? [env.normal] : []), ...(env.fastify ? [env.fastify] : []));
    log(`roster ${full.url} (pid ${full.pid}), etcd ${etcdProc.endpoint} (pid ${etcdProc.pid}), bare ${bare.url} (pid ${bare.pid})`);
    if (only.has('a')) {
      if (profile) {
        // Profile only the default server: the "normal" side runs against it too.
        env.normal = env.full;
        env.normalPid = env.fullPid;
      }
      const warmup = warmupA ? { 64: warmupA[0] ?? 0, 1: warmupA[1] ?? 0 } : undefined;
      const timed = countA ? { counts: { 64: countA[0] ?? 0, 1: countA[1] ?? 0 } } : {};
      results.a = await measureRegistrations(env, { reps, log, ...counts.a, ...(warmup ? { warmup } : {}), ...timed });
    }
    if (only.has('b')) results.b = await measureBigRead(env, { reps, log, ...counts.b, ...(warmupB ? { warmup: Number(warmupB) } : {}) });
    if (only.has('c'))
      results.c = await measureWake(env, { reps, log, ...counts.c, ...(warmupC ? { warmupRounds: Number(warmupC) } : {}) });
    if (only.has('d')) results.d = await measureRenewals(env, { reps, log, ...counts.d });
    if (only.has('f')) results.f = await measureCpu(env, { reps, log, ...counts.f });
  } finally {
    etcd?.close();
    await Promise.allSettled(pools.map((p) => p.destroy()));
    for (const p of procs.reverse()) await p.stop();
  }
}
if (only.has('e') && !profile) {
  results.e = await measureMemory({
    reps,
    bigReps,
    base,
    log,
    ...(quick ? { steps: [2000, 10_000], settleMs: 500 } : {}),
  });
}
results.seconds = (performance.now() - t0) / 1000;
results.loadAfter = os
  .loadavg()
  .map((x) => x.toFixed(2))
  .join(' ');

if (profile && only.has('e')) {
  const h = await heapPerInstance({ dir: profileDir, base, log, ...(quick ? { instances: 5000 } : {}) });
  console.log(
    [
      `### Memory of roster serve per registered instance (heap snapshots before and after registering ${h.instances.toLocaleString('en-US')} instances, on top of ${h.warm.toLocaleString('en-US')} registered first)`,
      '',
      `Per instance: V8 heap used ${fmt(h.heapUsedPerInstance, 'B')} (garbage included), heap total ${fmt(h.heapTotalPerInstance, 'B')}, external ${fmt(h.externalPerInstance, 'B')}; live objects after a full GC (snapshot) ${fmt(h.liveHeapPerInstance, 'B')}. (VmRSS is not comparable here: the first snapshot itself grows the process.)`,
      '',
      table(
        ['live heap growth by kind / constructor', 'bytes per instance'],
        h.rows.map((r) => [r.what.replace(/\|/g, '\\|'), fmt(r.perInstance)]),
      ),
      '',
    ].join('\n'),
  );
}
if (profile) {
  const files = readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile'));
  for (const f of files) {
    const data = JSON.parse(readFileSync(join(profileDir, f), 'utf8'));
    // Only the windows of roster-side work (the bare and etcd sides run in the same process run).
    const labels = [...new Set(windows.list.map((w) => w.label))].filter((l) => !/, (etcd|bare|fastify)$/.test(l) && l !== '(f) GET /');
    for (const label of labels) {
      const within = windows.list.filter((w) => w.label === label);
      const summary = summarizeProfile(data, 25, within);
      console.log(
        `### CPU profile of roster serve: ${label} (${within.length} window${within.length > 1 ? 's' : ''})\n\n${profileTables(summary)}\n`,
      );
    }
    console.log(`### CPU profile of roster serve: the whole run\n\n${profileTables(summarizeProfile(data, 25))}\n`);
  }
  if (files.length === 0 && [...only].some((m) => m !== 'e')) console.log('no profile was written');
  if (process.env.ROSTER_BENCH_KEEP_PROFILE) console.log(`profiles kept in ${profileDir}`);
  else rmSync(profileDir, { recursive: true, force: true });
} else {
  console.log(report(results));
}
if (jsonFile) writeFileSync(jsonFile, JSON.stringify(results, null, 2));

/** (a) the `--sync full` row of one concurrency: ≥ 5× etcd at 64 clients, ≥ 3× at 1 (issue 18). */
function registrationRow(c, a, yes) {
  const target = c === '64' ? 5 : c === '1' ? 3 : undefined;
  return [
    `registrations/s, ${c} client${c === '1' ? '' : 's'}, --sync full`,
    fmt(a.full, '/s'),
    `etcd ${fmt(a.etcd, '/s')}`,
    fmtRatio(a.ratioFull),
    target ? `≥ ${target}×` : '—',
    target ? yes(a.ratioFull >= target) : '—',
  ];
}

/** (b) the rows of issue 18: the read right after a change vs the cached read, and the gzip read. */
function bigReadRows(b, yes) {
  return [
    [
      'p50 right after a change vs the cached read right after a change of another service',
      fmt(b.changedRosterP50, 'ms'),
      `cached ${fmt(b.cachedAfterOtherP50, 'ms')}`,
      fmtRatio(b.ratioChangedCachedSame),
      '≤ 1.3×',
      yes(b.ratioChangedCachedSame <= 1.3),
    ],
    [
      'p50 right after a change vs the cached read of the interleaved loop above',
      fmt(b.changedRosterP50, 'ms'),
      `cached ${fmt(b.rosterP50, 'ms')}`,
      fmtRatio(b.ratioChangedCached),
      '(≤ 1.3×)',
      `(${b.ratioChangedCached <= 1.3 ? 'yes' : 'no'})`,
    ],
    [
      'p50 with Accept-Encoding: gzip (compressed body read)',
      fmt(b.gzipP50, 'ms'),
      `etcd prefix get ${fmt(b.etcdP50, 'ms')}`,
      fmtRatio(b.ratioGzipP50),
      '≤ 0.1×',
      yes(b.ratioGzipP50 <= 0.1),
    ],
    [
      `(floor) bare Node sending as many bytes as the gzip answer (${fmt(b.gzipBytes, 'B')}), p50`,
      fmt(b.bareGzipP50, 'ms'),
      `etcd prefix get ${fmt(b.etcdP50, 'ms')}`,
      fmtRatio(b.ratioBareGzipP50),
      '(info)',
      '—',
    ],
    [
      'p50 with gzip, inflated by the client',
      fmt(b.gzipInflatedP50, 'ms'),
      `etcd prefix get ${fmt(b.etcdP50, 'ms')}`,
      fmtRatio(b.ratioGzipInflatedP50),
      '(info)',
      '—',
    ],
  ];
}

/** The markdown section for docs/benchmarks.md. */
function report(r) {
  const m = r.machine;
  const yes = (ok) => (ok ? 'yes' : '**no**');
  const out = [
    `- machine: ${m.cpu}, ${m.cores} cores (shared with other work during the run: load average ${m.load} at the start, ${r.loadAfter} at the end), ${m.memGiB.toFixed(0)} GiB, ${m.os}`,
    `- node ${m.node}, etcd ${m.etcd} (Debian etcd-server, single member, defaults), data dirs on ${m.dataFs}`,
    `- date ${startedAt.toISOString()}, ${r.reps} repetitions, ${r.seconds.toFixed(0)} s; roster at ${m.commit}, built with \`npx tsc -b packages/roster packages/server packages/cli\``,
    `- command: \`node bench/serve.bench.mjs${argv.length ? ` ${argv.join(' ')}` : ''}\``,
    '- every ratio is the median of the per-repetition ratios (contenders interleaved in each repetition); the absolute numbers are medians over the repetitions',
    '',
  ];
  const header = ['measure', 'roster', 'peer', 'ratio (median)', 'target', 'met?'];
  if (r.a) {
    const rows = [];
    for (const c of Object.keys(r.a)) {
      const a = r.a[c];
      const target = c === '64';
      rows.push(registrationRow(c, a, yes));
      rows.push([
        `registrations/s, ${c} client${c === '1' ? '' : 's'}, --sync normal`,
        fmt(a.normal, '/s'),
        `etcd ${fmt(a.etcd, '/s')}`,
        fmtRatio(a.ratioNormal),
        target ? '(≥ 5×)' : '—',
        target ? `(${a.ratioNormal >= 5 ? 'yes' : 'no'})` : '—',
      ]);
      if (a.floor !== undefined) {
        rows.push([
          `(floor) bare Node durable ack (write + fdatasync on the pool, group commit), ${c} client${c === '1' ? '' : 's'}`,
          fmt(a.floor, '/s'),
          `etcd ${fmt(a.etcd, '/s')}`,
          fmtRatio(a.ratioFloor),
          '(info)',
          '—',
        ]);
      }
    }
    const cpu = Object.keys(r.a)
      .map(
        (c) =>
          `${c} client${c === '1' ? '' : 's'}: roster full ${fmt(r.a[c].fullCpu, 'µs')}, normal ${fmt(r.a[c].normalCpu, 'µs')}, etcd ${fmt(r.a[c].etcdCpu, 'µs')}, bare durable floor ${fmt(r.a[c].floorCpu, 'µs')}`,
      )
      .join('; ');
    out.push(
      '### (a) registrations with a durable ack',
      '',
      table(header, rows),
      '',
      `Roster registers an instance with a TTL check (10m), etcd grants a lease (600 s) and puts the key with it. Server CPU time per registration (from /proc/<pid>/task/*/schedstat): ${cpu}.`,
      '',
    );
  }
  if (r.b) {
    const b = r.b;
    out.push(
      '### (b) reading a 1,000-instance service',
      '',
      table(header, [
        [
          'p50 GET /v1/health/service (1,000)',
          fmt(b.rosterP50, 'ms'),
          `etcd prefix get ${fmt(b.etcdP50, 'ms')}`,
          fmtRatio(b.ratioP50),
          '≤ 0.1×',
          yes(b.ratioP50 <= 0.1),
        ],
        ['p99', fmt(b.rosterP99, 'ms'), `etcd ${fmt(b.etcdP99, 'ms')}`, fmtRatio(b.ratioP99), '≤ 0.1×', yes(b.ratioP99 <= 0.1)],
        [
          '(floor) bare Node sending as many bytes, p50 / p99',
          `${fmt(b.bareP50, 'ms')} / ${fmt(b.bareP99, 'ms')}`,
          '—',
          '—',
          '(info)',
          '—',
        ],
        [
          'p50 right after a change of the service',
          fmt(b.changedRosterP50, 'ms'),
          `etcd ${fmt(b.changedEtcdP50, 'ms')}`,
          fmtRatio(b.ratioChanged),
          '(info)',
          '—',
        ],
        ...bigReadRows(b, yes),
      ]),
      '',
      `Answer sizes: roster ${fmt(b.rosterBytes / 1024, 'KiB')} of Consul JSON (node, service and checks per entry; ${fmt(b.gzipBytes / 1024, 'KiB')} gzipped), etcd ${fmt(b.etcdBytes / 1024, 'KiB')} of values (plus keys and protobuf framing). The gzip read is timed until its compressed body is read (a Go client inflates it before decoding: the "inflated" row adds the client's gunzip).`,
      '',
    );
  }
  if (r.c) {
    const { single, many } = r.c;
    out.push(
      '### (c) change → woken blocked query / watch event',
      '',
      table(header, [
        [
          'one waiter, p50',
          fmt(single.roster, 'ms'),
          `etcd watch ${fmt(single.etcd, 'ms')}`,
          fmtRatio(single.ratio),
          '≤ 0.5×',
          yes(single.ratio <= 0.5),
        ],
        ...(Number.isNaN(single.normal)
          ? []
          : [
              [
                'one waiter, p50, roster --sync normal',
                fmt(single.normal, 'ms'),
                `etcd watch ${fmt(single.etcd, 'ms')}`,
                fmtRatio(single.ratioNormal),
                '(info)',
                '—',
              ],
            ]),
        [
          `(floor) bare Node answering ${r.c.holders} held requests at once, last answered p50 / p99`,
          `${fmt(many.bareLastP50, 'ms')} / ${fmt(many.bareLastP99, 'ms')}`,
          '—',
          '—',
          '(info)',
          '—',
        ],
        [
          `(floor) bare Node answering them with roster's header list and ${fmt(many.likeBytes, 'B')} bodies, last answered p50`,
          fmt(many.bareSameLastP50, 'ms'),
          '—',
          '—',
          '(info)',
          '—',
        ],
        [
          `${r.c.holders} waiters, last woken p50`,
          fmt(many.rosterLastP50, 'ms'),
          `etcd ${fmt(many.etcdLastP50, 'ms')}`,
          fmtRatio(many.rosterLastP50 / many.etcdLastP50),
          '(info)',
          '—',
        ],
        [
          `${r.c.holders} waiters, last woken p50 vs the bare Node floor`,
          fmt(many.rosterLastP50, 'ms'),
          `bare ${fmt(many.bareLastP50, 'ms')}`,
          fmtRatio(many.ratioBareP50),
          '≤ 1.1×',
          yes(many.ratioBareP50 <= 1.1),
        ],
        [
          `${r.c.holders} waiters, last woken p50 vs bare Node sending the same bytes`,
          fmt(many.rosterLastP50, 'ms'),
          `bare, same bytes ${fmt(many.bareSameLastP50, 'ms')}`,
          fmtRatio(many.ratioBareSameP50),
          '(info)',
          '—',
        ],
        ...(Number.isNaN(many.normalLastP50)
          ? []
          : [
              [
                `${r.c.holders} waiters, last woken p50, roster --sync normal, vs the bare Node floor`,
                fmt(many.normalLastP50, 'ms'),
                `bare ${fmt(many.bareLastP50, 'ms')}`,
                fmtRatio(many.ratioNormalBareP50),
                '(info)',
                '—',
              ],
            ]),
        [
          `${r.c.holders} waiters, last woken p99`,
          fmt(many.rosterLastP99, 'ms'),
          `etcd ${fmt(many.etcdLastP99, 'ms')}`,
          fmtRatio(many.ratioLastP99),
          '≤ 0.5× and ≤ 50 ms',
          yes(many.ratioLastP99 <= 0.5 && many.rosterLastP99 <= 50),
        ],
      ]),
      '',
      `The p99 of a repetition is over its ${many.rounds / r.reps} changes (so close to their maximum); pooled over all ${many.rounds} changes: roster ${fmt(many.rosterPooledP99, 'ms')}, etcd ${fmt(many.etcdPooledP99, 'ms')}. etcd's ${r.c.holders} watchers are spread over ${r.c.etcdClients} etcd3 clients (connections); roster's ${r.c.holders} blocking queries are ${r.c.holders} HTTP/1.1 connections.`,
      '',
    );
  }
  if (r.d) {
    const d = r.d;
    out.push(
      '### (d) TTL renewals, 64 concurrent clients',
      '',
      table(header, [
        [
          'renewals/s vs etcd lease keepalives',
          fmt(d.roster, '/s'),
          `etcd ${fmt(d.etcd, '/s')}`,
          fmtRatio(d.ratioEtcd),
          '≥ 2×',
          yes(d.ratioEtcd >= 2),
        ],
        [
          'renewals/s vs bare Node http',
          fmt(d.roster, '/s'),
          `bare ${fmt(d.bare, '/s')}`,
          fmtRatio(d.ratioBare),
          '≥ 0.8×',
          yes(d.ratioBare >= 0.8),
        ],
        [
          '(reference) bare Fastify hello world, PUT /',
          fmt(d.fastify, '/s'),
          `bare ${fmt(d.bare, '/s')}`,
          fmtRatio(d.fastifyRatioBare),
          '(info)',
          '—',
        ],
      ]),
      '',
      `Server CPU time per operation: roster ${fmt(d.rosterCpu, 'µs')}, etcd ${fmt(d.etcdCpu, 'µs')}, bare Node ${fmt(d.bareCpu, 'µs')}, bare Fastify ${fmt(d.fastifyCpu, 'µs')}. etcd: 64 long-lived LeaseKeepAlive streams (one per client), one keepalive in flight on each.`,
      '',
    );
  }
  if (r.e) {
    const s = r.e.summary;
    const rows = [];
    for (const k of Object.keys(s).filter((x) => x !== 'marginal')) {
      const e = s[k];
      rows.push([
        `RSS per instance at ${Number(k).toLocaleString('en-US')} (reached: roster ${e.rosterReached.toLocaleString('en-US')}, etcd ${e.etcdReached.toLocaleString('en-US')}; ${e.reps} rep${e.reps > 1 ? 's' : ''})`,
        fmt(e.rosterPerInstance, 'B'),
        `etcd ${fmt(e.etcdPerInstance, 'B')}/key`,
        fmtRatio(e.ratio),
        '≤ 1×',
        yes(e.ratio <= 1),
      ]);
    }
    if (s.marginal)
      rows.push([
        `marginal RSS per instance between the steps (${s.marginal.reps} rep${s.marginal.reps > 1 ? 's' : ''})`,
        fmt(s.marginal.roster, 'B'),
        `etcd ${fmt(s.marginal.etcd, 'B')}`,
        fmtRatio(s.marginal.ratio),
        '(info)',
        '—',
      ]);
    const totals = Object.keys(s)
      .filter((x) => x !== 'marginal')
      .map(
        (k) =>
          `at ${Number(k).toLocaleString('en-US')}: roster ${fmt(s[k].rosterRss / 2 ** 20, 'MiB')}, etcd ${fmt(s[k].etcdRss / 2 ** 20, 'MiB')}`,
      )
      .join('; ');
    out.push(
      '### (e) resident memory per registered instance',
      '',
      table(header, rows),
      '',
      `VmRSS (median): ${totals}. Per instance = (VmRSS after − VmRSS of the fresh process) / instances.`,
      '',
    );
  }
  if (r.f) {
    const f = r.f;
    out.push(
      '### (f) server CPU per small read (16 concurrent clients)',
      '',
      table(header, [
        [
          'CPU per GET /v1/status/leader',
          fmt(f.leader, 'µs'),
          `bare ${fmt(f.bare, 'µs')}`,
          fmtRatio(f.ratioLeader),
          '≤ 1.25×',
          yes(f.ratioLeader <= 1.25),
        ],
        [
          'CPU per GET /v1/health/service (1 instance)',
          fmt(f.health, 'µs'),
          `bare ${fmt(f.bare, 'µs')}`,
          fmtRatio(f.ratioHealth),
          '(info)',
          '—',
        ],
        [
          '(reference) CPU per GET / of a bare Fastify hello world',
          fmt(f.fastify, 'µs'),
          `bare ${fmt(f.bare, 'µs')}`,
          fmtRatio(f.ratioFastify),
          '(info)',
          '—',
        ],
      ]),
      '',
      `CPU time from /proc/<pid>/task/*/schedstat (ns resolution); the same from /proc/<pid>/stat utime+stime (10 ms ticks) gives a ratio of ${fmtRatio(f.ratioLeaderTicks)} for status/leader. Throughput during these runs: roster ${fmt(f.leaderRate, '/s')} (leader), ${fmt(f.healthRate, '/s')} (health), bare Node ${fmt(f.bareRate, '/s')}, bare Fastify ${fmt(f.fastifyRate, '/s')}.`,
      '',
    );
  }
  return out.join('\n');
}
