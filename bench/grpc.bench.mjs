// grpc.bench.mjs: roster for grpc-js (issue 17), two questions, same run, loopback only.
//
// 1. One slow instance of five. Five grpc-js Echo servers, each in its own child process (so no
//    server's event loop or GC delays another's answers, nor the client's); four answer at once,
//    one after 20 ms. A grpc-js client on `roster:///echo` with roster's roster_p2c_ewma vs the
//    same target with grpc-js's own round_robin (`?lb=round_robin`), and beside them the floor:
//    round_robin over the four fast instances only (`roster:///fast?lb=round_robin`) — the p99
//    this machine gives a grpc-js call that never meets the slow instance. Open-loop load: calls
//    started at a fixed rate (RATES, below two cores' capacity, so the client's queue does not set
//    the tail), latency from the call's start to its answer. Target: p99 with roster_p2c_ewma ≤
//    0.2 × round_robin's, as the median over rounds of the per-round ratio.
// 2. The resolver's own cost, per call: closed loop, 8 calls in flight, time and client CPU per
//    call. (a) the four fast instances through `roster:///fast?lb=round_robin` vs grpc-js's
//    built-in `ipv4:` resolver listing the same four addresses, round_robin; (b) one instance
//    through `roster:///one?lb=pick_first` vs grpc-js's built-in `dns:///127.0.0.1:<port>`
//    (pick_first, its default). Only the resolver differs. Target: ≤ 1.05×, as the median of
//    the per-pair ratios.
//
// Run:  npm run build && node bench/grpc.bench.mjs      (also: node bench/run.js grpc)
//       options: --rounds N (default 7), --quick (3 rounds, fewer calls), --rates 400,800,
//       --only-slow (part 1 only), --bind-fix (diagnostic, never the target: part 1 also runs every policy with Node's
//       per-request AsyncResource#bind retention removed, see bench/lib/async-resource-bind.mjs)
//
// Every run uses a fresh client (a fresh channel and LB policy, which learns during warm-up
// calls at the same rate, not measured). Variants are interleaved in each round, the order
// rotated per round, so the machine's moods fall on all of them alike. Per run the client's GC
// pauses and event-loop delay are recorded, and of the calls at or above the p99 how many went to
// the slow instance and how many a client GC pause fell into, to show where a tail comes from.
// Bounded: 84,000 calls per rate in part 1 (3 variants × 7 rounds × 4,000) and ~30,000 in part 2,
// ~6 minutes on a quiet 2-core machine; each server process exits when its stdin closes, or
// after 20 minutes.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { setBindFix } from './lib/async-resource-bind.mjs';
import { fmt, median, quantile } from './lib/stats.mjs';

const QUICK = process.argv.includes('--quick');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const ROUNDS = arg('--rounds', QUICK ? 3 : 7);
/** Part 1: calls started per second, and per run the warm-up and the measured calls. */
const RATES = process.argv.includes('--rates') ? process.argv[process.argv.indexOf('--rates') + 1].split(',').map(Number) : [400, 800];
const BIND_FIX = process.argv.includes('--bind-fix');
const ONLY_SLOW = process.argv.includes('--only-slow');
/**
 * Warm-up calls per run: long enough that peak EWMA has settled on the slow instance (each re-try
 * of a known-slow instance doubles the calls until the next, D141), so the measured window sees
 * about one re-try instead of three (a simulation of the real Balancer over 50 seeds: 3 re-tries
 * in 2,000 measured calls after 300 warm-up calls, 1 after 2,000).
 */
const WARMUP = QUICK ? 500 : 2000;
const PACED_CALLS = QUICK ? 1000 : 2000;
/** Part 2: closed loop. */
const IN_FLIGHT = 8;
const LOOP_WARMUP = 200;
const LOOP_CALLS = QUICK ? 1000 : 2000;
const SLOW_MS = 20;
const INSTANCES = 5;
const PROTO = fileURLToPath(new URL('../packages/roster/src/grpc/testdata/echo.proto', import.meta.url));
const { Echo } = grpc.loadPackageDefinition(protoLoader.loadSync(PROTO)).rostertest;

if (process.argv.includes('--instance')) await serveInstance(arg('--instance', 0), process.argv[process.argv.indexOf('--instance') + 2]);

const lib = new URL('../packages/roster/dist/', import.meta.url);
const { memoryRegistry } = await import(new URL('registry/memory.js', lib).href);
const { registerGrpcResolver } = await import(new URL('grpc/index.js', lib).href);

// Five server processes; the last one is the slow one.
const children = [];
const ports = [];
for (let i = 0; i < INSTANCES; i++) {
  const slowMs = i === INSTANCES - 1 ? SLOW_MS : 0;
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--instance', String(slowMs), String(i + 1)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.push(child);
  const [line] = await once(child.stdout, 'data');
  ports.push(Number(String(line).trim()));
}
const SLOW_ID = String(INSTANCES);
const registry = memoryRegistry();
for (let i = 0; i < INSTANCES; i++) {
  await registry.register({ service: 'echo', id: `echo-${i + 1}`, address: '127.0.0.1', port: ports[i] });
  if (i < INSTANCES - 1) await registry.register({ service: 'fast', id: `fast-${i + 1}`, address: '127.0.0.1', port: ports[i] });
}
await registry.register({ service: 'one', id: 'one-1', address: '127.0.0.1', port: ports[0] });
registerGrpcResolver({ registry, retry: false });
const fastAddresses = ports.slice(0, INSTANCES - 1).map((p) => `127.0.0.1:${p}`);
const RR = { 'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }) };

// The client's own pauses: GC (all kinds, with their times, to tell which calls they delayed) and
// event-loop delay, per run.
const gc = { count: 0, totalMs: 0, maxMs: 0, pauses: [] };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gc.count++;
    gc.totalMs += entry.duration;
    gc.maxMs = Math.max(gc.maxMs, entry.duration);
    gc.pauses.push([entry.startTime, entry.startTime + entry.duration]);
  }
}).observe({ entryTypes: ['gc'] });
const loopDelay = monitorEventLoopDelay({ resolution: 1 });

/** Starts recording a run; the returned function ends it and returns the client-side figures. */
function record(calls) {
  Object.assign(gc, { count: 0, totalMs: 0, maxMs: 0, pauses: [] });
  loopDelay.reset();
  loopDelay.enable();
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  return () => {
    const wallMs = performance.now() - t0;
    const used = process.cpuUsage(cpu);
    loopDelay.disable();
    return {
      usPerCall: (wallMs * 1000) / calls,
      cpuUsPerCall: (used.user + used.system) / calls,
      gcCount: gc.count,
      gcMs: gc.totalMs,
      gcMaxMs: gc.maxMs,
      loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
      loopDelayMaxMs: loopDelay.max / 1e6,
      gcPauses: gc.pauses,
    };
  };
}

/** One unary call on `client`: its start, latency (ms, from its start) and which instance answered. */
const callOnce = (client) =>
  new Promise((resolve, reject) => {
    const start = performance.now();
    client.Who({}, (error, reply) => (error ? reject(error) : resolve({ start, ms: performance.now() - start, id: reply.instance })));
  });

/** `count` calls started `perSecond` a second (catching up on timer lag); resolves with their results. */
async function paced(client, perSecond, count) {
  const interval = 1000 / perSecond;
  const t0 = performance.now();
  const calls = [];
  await new Promise((resolve) => {
    const tick = () => {
      const due = Math.min(count, Math.floor((performance.now() - t0) / interval) + 1);
      while (calls.length < due) calls.push(callOnce(client));
      if (calls.length >= count) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  return Promise.all(calls);
}

/** `count` calls, `inFlight` at a time. */
async function closed(client, inFlight, count) {
  let next = 0;
  const results = [];
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < count) {
        next++;
        results.push(await callOnce(client));
      }
    }),
  );
  return results;
}

/**
 * A full GC (`npm run bench` starts benchmarks with --expose-gc; run directly, the flag is set
 * here). Every paced run starts with one, so every run starts from the same heap: without it, a
 * run inherits the garbage the previous one left in the old generation, and what that garbage
 * still points to survives young-generation GCs (D170, D171).
 */
const fullGc =
  globalThis.gc ??
  (() => {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc');
  })();

/** Part 1: one paced run on a fresh client. */
async function pacedRun(target, perSecond) {
  fullGc();
  const client = new Echo(target, grpc.credentials.createInsecure(), {});
  await paced(client, perSecond, WARMUP);
  const stop = record(PACED_CALLS);
  const results = await paced(client, perSecond, PACED_CALLS);
  const figures = stop();
  client.close();
  const all = results.map((r) => r.ms);
  const fast = results.filter((r) => r.id !== SLOW_ID).map((r) => r.ms);
  // The calls at or above the p99: how many went to the slow instance, how many of the others a
  // client GC pause fell into (the pause began or ended while the call was out).
  const p99 = quantile(all, 0.99);
  const tail = results.filter((r) => r.ms >= p99);
  const tailSlow = tail.filter((r) => r.id === SLOW_ID).length;
  const tailGc = tail.filter((r) => r.id !== SLOW_ID && figures.gcPauses.some(([a, b]) => a < r.start + r.ms && b > r.start)).length;
  const perInstance = new Map();
  for (const r of results) perInstance.set(r.id, (perInstance.get(r.id) ?? 0) + 1);
  return {
    ...figures,
    latencies: all,
    p50: quantile(all, 0.5),
    p99,
    tailShareSlow: tailSlow / tail.length,
    tailShareGc: tailGc / tail.length,
    fastP99: quantile(fast, 0.99),
    slowShare: (perInstance.get(SLOW_ID) ?? 0) / results.length,
    busiestFastShare: Math.max(0, ...[...perInstance].filter(([id]) => id !== SLOW_ID).map(([, n]) => n)) / results.length,
  };
}

/** Part 2: one closed-loop run on a fresh client. */
async function closedRun(target, options) {
  const client = new Echo(target, grpc.credentials.createInsecure(), options);
  await closed(client, IN_FLIGHT, LOOP_WARMUP);
  const stop = record(LOOP_CALLS);
  await closed(client, IN_FLIGHT, LOOP_CALLS);
  const figures = stop();
  client.close();
  return figures;
}

/** Runs `run(variant)` for every variant, ROUNDS times, interleaved with the order rotated. */
async function rounds(variants, run) {
  const results = variants.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < variants.length; k++) {
      const v = (round + k) % variants.length;
      results[v].push(await run(variants[v]));
    }
  }
  return results;
}

const range = (xs) => `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`;
const verdicts = [];
const started = performance.now();

// Part 1.
for (const rate of RATES) {
  const policies = [
    { name: 'roster_p2c_ewma (`roster:///echo`)', target: 'roster:///echo' },
    { name: 'round_robin (`roster:///echo?lb=round_robin`)', target: 'roster:///echo?lb=round_robin' },
    { name: 'floor: round_robin over the 4 fast only (`roster:///fast?lb=round_robin`)', target: 'roster:///fast?lb=round_robin' },
  ];
  const variants = BIND_FIX
    ? [...policies, ...policies.map((p) => ({ ...p, name: `${p.name}, bind fix (diagnostic)`, bindFix: true }))]
    : policies;
  const results = await rounds(variants, async (v) => {
    setBindFix(v.bindFix === true);
    try {
      return await pacedRun(v.target, rate);
    } finally {
      setBindFix(false);
    }
  });
  console.log(`\n### One slow instance (${SLOW_MS} ms) of ${INSTANCES}, ${rate} calls/s (open loop)\n`);
  console.log(
    `${PACED_CALLS} measured calls per run after ${WARMUP} warm-up calls, fresh client per run; ${ROUNDS} rounds, variants interleaved; medians over the rounds (pooled: all rounds' calls together).\n`,
  );
  console.log(
    '| policy | p50 ms | p99 ms | p99 pooled ms | p99 of calls to fast instances ms | calls to the slow instance | busiest fast instance | calls ≥ p99: to the slow instance / to a fast one during a client GC pause | client GC pauses per run (total / longest ms) | client event-loop delay p99 / max ms | client CPU µs per call |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [i, runs] of results.entries()) {
    const m = (key) => median(runs.map((r) => r[key]));
    const pooled = quantile(
      runs.flatMap((r) => r.latencies),
      0.99,
    );
    console.log(
      `| ${variants[i].name} | ${fmt(m('p50'))} | ${fmt(m('p99'))} | ${fmt(pooled)} | ${fmt(m('fastP99'))} | ${fmt(m('slowShare') * 100)} % | ${fmt(m('busiestFastShare') * 100)} % | ${fmt(m('tailShareSlow') * 100)} % / ${fmt(m('tailShareGc') * 100)} % | ${fmt(m('gcCount'))} (${fmt(m('gcMs'))} / ${fmt(m('gcMaxMs'))}) | ${fmt(m('loopDelayP99Ms'))} / ${fmt(m('loopDelayMaxMs'))} | ${fmt(m('cpuUsPerCall'))} |`,
    );
  }
  for (const fix of BIND_FIX ? [false, true] : [false]) {
    const [p2c, rr, floor] = fix ? results.slice(3) : results;
    const ratios = p2c.map((r, i) => r.p99 / rr[i].p99);
    const floorRatios = floor.map((r, i) => r.p99 / rr[i].p99);
    const ratio = median(ratios);
    const label = fix ? ', bind fix (diagnostic)' : '';
    console.log(
      `\nPer round${label}, p99 roster_p2c_ewma ÷ round_robin: ${ratios.map((x) => fmt(x)).join(', ')}; the floor ÷ round_robin: ${floorRatios.map((x) => fmt(x)).join(', ')}.`,
    );
    if (fix) {
      console.log('(The bind fix rows are a diagnostic, not the target: the target is measured on the runtime as it is.)');
      continue;
    }
    verdicts.push([
      `p99 roster_p2c_ewma ≤ 0.2 × round_robin's, ${rate} calls/s`,
      `${fmt(ratio)}× (rounds ${range(ratios)}×; floor ${fmt(median(floorRatios))}×)`,
      ratio <= 0.2,
    ]);
  }
}

// Part 2.
const pairs = [
  {
    what: `4 instances, round_robin: \`roster:///fast?lb=round_robin\` vs \`ipv4:\` (same 4 addresses)`,
    variants: [
      { target: 'roster:///fast?lb=round_robin', options: {} },
      { target: `ipv4:${fastAddresses.join(',')}`, options: RR },
    ],
  },
  {
    what: `1 instance, pick_first: \`roster:///one?lb=pick_first\` vs \`dns:///127.0.0.1:${ports[0]}\``,
    variants: [
      { target: 'roster:///one?lb=pick_first', options: {} },
      { target: `dns:///127.0.0.1:${ports[0]}`, options: {} },
    ],
  },
];
if (!ONLY_SLOW) {
  console.log(`\n### Resolver overhead: roster:/// vs grpc-js's built-in resolvers, same instances, same policy\n`);
  console.log(
    `Closed loop, ${IN_FLIGHT} calls in flight, ${LOOP_CALLS} measured calls per run after ${LOOP_WARMUP} warm-up calls, fresh client per run; ${ROUNDS} rounds, the pair interleaved, order rotated; ratio = roster ÷ built-in per round, median over rounds.\n`,
  );
  console.log(
    '| comparison | µs per call, roster / built-in (medians) | ratio of time per call (rounds) | ratio of client CPU per call (rounds) |',
  );
  console.log('|---|---:|---:|---:|');
}
for (const { what, variants } of ONLY_SLOW ? [] : pairs) {
  const [roster, builtin] = await rounds(variants, (v) => closedRun(v.target, v.options));
  const time = roster.map((r, i) => r.usPerCall / builtin[i].usPerCall);
  const cpu = roster.map((r, i) => r.cpuUsPerCall / builtin[i].cpuUsPerCall);
  const m = (runs) => median(runs.map((r) => r.usPerCall));
  console.log(
    `| ${what} | ${fmt(m(roster))} / ${fmt(m(builtin))} | ${fmt(median(time))}× (${range(time)}) | ${fmt(median(cpu))}× (${range(cpu)}) |`,
  );
  verdicts.push([
    `time per call, roster ≤ 1.05 × built-in: ${what}`,
    `${fmt(median(time))}× (CPU ${fmt(median(cpu))}×)`,
    median(time) <= 1.05,
  ]);
}

console.log('\n| target | measured | met |\n|---|---:|---|');
for (const [what, measured, met] of verdicts) console.log(`| ${what} | ${measured} | ${met ? 'yes' : '**no**'} |`);
console.log(`\n(${((performance.now() - started) / 1000).toFixed(0)} s)`);

await registry.close();
for (const child of children) child.stdin.end();
await Promise.all(children.map((child) => (child.exitCode === null ? once(child, 'exit') : undefined)));

/** A child process: one Echo server answering Who after `slowMs` (0: at once), until stdin closes. */
async function serveInstance(slowMs, id) {
  const server = new grpc.Server();
  server.addService(Echo.service, {
    Who(_call, callback) {
      if (slowMs > 0) setTimeout(() => callback(null, { instance: id }), slowMs);
      else callback(null, { instance: id });
    },
    Count(call) {
      call.end();
    },
  });
  const port = await new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  process.stdout.write(`${port}\n`);
  process.stdin.on('close', () => process.exit(0));
  process.stdin.resume();
  setTimeout(() => process.exit(0), 20 * 60_000).unref();
  await new Promise(() => {});
}
