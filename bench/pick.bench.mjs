// pick.bench.mjs: the cost of one pick, per balancing strategy, at 10, 100 and 1,000 instances,
// next to Moleculer's pick path (EndpointList.next(): filters the endpoint list, then applies its
// strategy) on the same instance lists, in the same run.
//
// Run:  npm run build && node --expose-gc bench/pick.bench.mjs      (or: npm run bench -- pick)
// Plain JavaScript over the built library (packages/roster/dist): Node 20 cannot run TypeScript
// itself, and a benchmark must measure the code users run, not a transpiling loader.
//
// What is measured:
// - ns/op: the full call path a client makes per request, `balancer.picker.pick(key?)`, on a
//   balancer with some calls in flight and latency samples (so P2C and bounded load do real work).
//   Each case runs in its own compiled loop (new Function) so call sites stay monomorphic, as
//   they are in a process that uses one strategy. Median of up to 7 batches of ~30 ms each.
// - B/pick: heap growth over many picks between two full GCs, retried with fewer picks until no
//   GC ran during the loop (a GC in between would hide allocations). 0 = allocation-free.
// Bounded: every case stops after 7 batches or 1.5 s, whichever comes first.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

const lib = '../packages/roster/dist/balancer/';
const load = async (file) => import(new URL(`${lib}${file}.js`, import.meta.url).href);
const { createBalancer } = await load('create-balancer');
const { roundRobin } = await load('round-robin');
const { random } = await load('random');
const { weightedRandom } = await load('weighted-random');
const { smoothWeightedRoundRobin } = await load('smooth-weighted-round-robin');
const { leastRequest } = await load('least-request');
const { peakEwma } = await load('peak-ewma');
const { consistentHash } = await load('consistent-hash');
const { zoneAware } = await load('zone-aware');
const { mulberry32 } = await load('mulberry32');

const require = createRequire(import.meta.url);
const moleculerRoot = dirname(require.resolve('moleculer'));
const { Strategies } = require('moleculer');
// Moleculer does not export these subpaths; load the files the registry itself uses.
const EndpointList = require(join(moleculerRoot, 'src/registry/endpoint-list.js'));
const ActionEndpoint = require(join(moleculerRoot, 'src/registry/endpoint-action.js'));

if (typeof globalThis.gc !== 'function') {
  console.error('run with --expose-gc (npm run bench does)');
  process.exit(1);
}

const SIZES = [10, 100, 1000];
const ZONES = ['z0', 'z1', 'z2'];
const KEYS = Array.from({ length: 1024 }, (_, i) => `user-${i}`);

/** The same instance list for every contender: weights 1–5, three zones. */
function instances(n) {
  return Array.from({ length: n }, (_, i) => ({
    id: `node-${String(i).padStart(4, '0')}`,
    service: 'orders',
    address: `10.0.${i >> 8}.${i & 255}`,
    port: 8080,
    tags: [],
    meta: {},
    weight: 1 + (i % 5),
    zone: ZONES[i % 3],
    // One local-zone instance in 8 critical, so zone-aware spills over and the filter has work.
    health: i % 24 === 0 ? 'critical' : 'passing',
  }));
}

const STRATEGIES = [
  { name: 'roundRobin', make: () => roundRobin() },
  { name: 'random', make: () => random() },
  { name: 'weightedRandom (alias)', make: () => weightedRandom() },
  { name: 'smoothWeightedRoundRobin', make: () => smoothWeightedRoundRobin() },
  { name: 'leastRequest (P2C)', make: () => leastRequest() },
  { name: 'peakEwma (P2C + EWMA)', make: () => peakEwma() },
  { name: 'consistentHash (key, bounded 1.25)', make: () => consistentHash(), keyed: true },
  { name: 'zoneAware(leastRequest)', make: () => zoneAware({ zone: 'z0', strategy: leastRequest() }) },
];

/** A balancer fed like a real client: half the instances with a call in flight, latency samples for all. */
function ourPath(strategy, list) {
  const balancer = createBalancer({ strategy });
  balancer.update(list);
  const rnd = mulberry32(7);
  for (const instance of list) {
    for (let k = 0; k < 3; k++) {
      balancer.start(instance);
      balancer.finish(instance, { ok: true, latencyMs: 2 + rnd() * 20 });
    }
  }
  for (let i = 0; i < list.length; i += 2) balancer.start(list[i]);
  return balancer;
}

/** Moleculer's registry path for one action, with the same nodes (critical ones unavailable). */
function moleculerPath(Strategy, list) {
  const registry = { logger: { info() {}, warn() {}, debug() {}, error() {} }, opts: { preferLocal: true } };
  const endpoints = new EndpointList(registry, { nodeID: 'client' }, 'orders.get', null, ActionEndpoint, Strategy, {});
  for (const instance of list) {
    const endpoint = endpoints.add({ id: instance.id }, { name: 'orders' }, { name: 'orders.get' });
    endpoint.state = instance.health !== 'critical';
  }
  return endpoints;
}

// One compiled loop per case: its own inline caches, like a process with one strategy.
const loops = {
  ours: () => new Function('b', 'keys', 'n', 'let s; for (let i = 0; i < n; i++) s = b.picker.pick(); return s;'),
  oursKeyed: () => new Function('b', 'keys', 'n', 'let s; for (let i = 0; i < n; i++) s = b.picker.pick(keys[i & 1023]); return s;'),
  moleculer: () => new Function('b', 'keys', 'n', 'let s; for (let i = 0; i < n; i++) s = b.next(); return s;'),
};

/** Median ns per pick. */
function nsPerOp(loop, target) {
  let n = 1000;
  for (;;) {
    const t0 = process.hrtime.bigint();
    if (loop(target, KEYS, n) === undefined) throw new Error('pick returned nothing');
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (ms >= 30 || n >= 2 ** 26) break;
    n *= ms < 3 ? 8 : 2;
  }
  const samples = [];
  const deadline = performance.now() + 1500;
  while (samples.length < 7 && (samples.length < 3 || performance.now() < deadline)) {
    const t0 = process.hrtime.bigint();
    loop(target, KEYS, n);
    samples.push(Number(process.hrtime.bigint() - t0) / n);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

let gcRuns = 0;
new PerformanceObserver((list) => {
  gcRuns += list.getEntries().length;
}).observe({ entryTypes: ['gc'] });

/** Heap bytes allocated per pick, measured over a loop during which no GC ran. */
async function bytesPerPick(loop, target) {
  for (let n = 200_000; n >= 50; n = Math.floor(n / 8)) {
    globalThis.gc();
    await sleep(5); // let the GC's own performance entry arrive before counting
    gcRuns = 0;
    const before = process.memoryUsage().heapUsed;
    loop(target, KEYS, n);
    const after = process.memoryUsage().heapUsed;
    await sleep(5);
    if (gcRuns === 0) return Math.max(0, (after - before) / n);
  }
  return Number.NaN;
}

const fmt = (x, digits = 1) => (Number.isNaN(x) ? 'n/a' : x < 10 ? x.toFixed(digits + 1) : x.toFixed(digits));
const rows = [];
for (const n of SIZES) {
  const list = instances(n);
  const reference = {};
  for (const [label, Strategy] of [
    ['Moleculer EndpointList.next() RoundRobin', Strategies.RoundRobin],
    ['Moleculer EndpointList.next() Random', Strategies.Random],
  ]) {
    const target = moleculerPath(Strategy, list);
    const loop = loops.moleculer();
    const ns = nsPerOp(loop, target);
    reference[label] = ns;
    rows.push({ name: label, n, ns, bytes: await bytesPerPick(loop, target) });
  }
  const moleculer = reference['Moleculer EndpointList.next() RoundRobin'];
  for (const s of STRATEGIES) {
    const target = ourPath(s.make(), list);
    const loop = s.keyed ? loops.oursKeyed() : loops.ours();
    const ns = nsPerOp(loop, target);
    rows.push({ name: s.name, n, ns, bytes: await bytesPerPick(loop, target), speedup: moleculer / ns });
    target.close();
  }
}

console.log('| strategy | instances | ns/pick | bytes/pick | × faster than Moleculer RR |');
console.log('|---|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(`| ${r.name} | ${r.n} | ${fmt(r.ns)} | ${fmt(r.bytes, 2)} | ${r.speedup === undefined ? '—' : `${fmt(r.speedup, 0)}×`} |`);
}

const at = (name, n) => rows.find((r) => r.name.startsWith(name) && r.n === n);
const ours = rows.filter((r) => r.speedup !== undefined);
const checks = [
  ['round robin ≤ 10 ns at every size', SIZES.every((n) => at('roundRobin', n).ns <= 10)],
  ['P2C + peak EWMA ≤ 100 ns at 1,000', at('peakEwma', 1000).ns <= 100],
  ['0 bytes allocated per pick (< 0.5 B: measurement noise)', ours.every((r) => r.bytes < 0.5)],
  ['≥ 50× faster than Moleculer at 1,000 (every strategy)', ours.filter((r) => r.n === 1000).every((r) => r.speedup >= 50)],
];
console.log('\n| target | met |\n|---|---|');
for (const [label, ok] of checks) console.log(`| ${label} | ${ok ? 'yes' : '**no**'} |`);
