// slow-instance.bench.mjs: one slow instance of five. Five loopback HTTP instances; four answer
// at once, one adds 20 ms. A discovery-aware client (serviceClient, defaults otherwise) calls
// them with 16 requests in flight; the latency each call sees is recorded, per strategy.
// Round robin sends a fifth of the calls to the slow one, so its p99 is the slow latency;
// P2C + peak EWMA learns the latencies and routes around the slow instance.
//
// Run:  npx tsc -b packages/roster && node bench/run.js slow-instance   (or: npm run bench -- slow)
//
// Per repetition and strategy: a fresh client (fresh balancer: the learning is part of the run)
// makes 200 warm-up calls, then 4,000 measured ones. Strategies interleaved, 5 repetitions;
// p99 of each run, median over the repetitions; the target is the ratio of those medians.
// Bounded: 5 × 3 × 4,200 calls on loopback, about 20 s.
import http from 'node:http';

const lib = new URL('../packages/roster/dist/', import.meta.url);
const load = async (file) => import(new URL(`${file}.js`, lib).href);
const { serviceClient } = await load('fetch/service-client');
const { memoryRegistry } = await load('registry/memory');
const { roundRobin } = await load('balancer/round-robin');
const { leastRequest } = await load('balancer/least-request');
const { peakEwma } = await load('balancer/peak-ewma');

const REPS = 5;
const WARMUP = 200;
const CALLS = 4000;
const CONCURRENCY = 16;
const SLOW_MS = 20;
const INSTANCES = 5;

const servers = [];
const served = new Map();
const registry = memoryRegistry();
for (let i = 0; i < INSTANCES; i++) {
  const id = `orders-${i + 1}`;
  const slow = i === INSTANCES - 1;
  served.set(id, 0);
  const server = http.createServer((_req, res) => {
    served.set(id, served.get(id) + 1);
    const answer = () => res.end(`{"id":"${id}"}`);
    if (slow) setTimeout(answer, SLOW_MS);
    else answer();
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  await registry.register({ service: 'orders', id, address: '127.0.0.1', port: server.address().port });
}
const SLOW_ID = `orders-${INSTANCES}`;

const strategies = [
  ['round robin', () => roundRobin()],
  ['P2C least request', () => leastRequest()],
  ['P2C + peak EWMA', () => peakEwma()],
];

async function run(makeStrategy) {
  const client = serviceClient({ registry, service: 'orders', strategy: makeStrategy() });
  const call = async () => {
    const start = performance.now();
    const res = await client.request('/v1/items');
    await res.body.text();
    return { ms: performance.now() - start, id: res.instance.id };
  };
  let next = 0;
  const latencies = [];
  let slowCalls = 0;
  const worker = async (measure, total) => {
    while (next < total) {
      next++;
      const r = await call();
      if (measure) {
        latencies.push(r.ms);
        if (r.id === SLOW_ID) slowCalls++;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, () => worker(false, WARMUP)));
  next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, () => worker(true, CALLS)));
  const wallMs = performance.now() - start;
  await client.close();
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  return { p50: q(0.5), p90: q(0.9), p99: q(0.99), max: latencies[latencies.length - 1], slowShare: slowCalls / CALLS, rps: (CALLS / wallMs) * 1000 };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (x, d = 2) => x.toFixed(d);

const runs = strategies.map(() => []);
for (let rep = 0; rep < REPS; rep++) {
  for (let k = 0; k < strategies.length; k++) {
    const s = (rep + k) % strategies.length;
    runs[s].push(await run(strategies[s][1]));
  }
}

console.log(`${INSTANCES} loopback instances, one adds ${SLOW_MS} ms; ${CONCURRENCY} calls in flight; ${CALLS} measured calls per run; medians over ${REPS} runs.\n`);
console.log('| strategy | p50 ms | p90 ms | p99 ms | max ms | calls to the slow instance | calls/s |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
const summary = strategies.map(([name], s) => {
  const m = (key) => median(runs[s].map((r) => r[key]));
  const row = { name, p50: m('p50'), p90: m('p90'), p99: m('p99'), max: m('max'), slowShare: m('slowShare'), rps: m('rps') };
  console.log(
    `| ${name} | ${fmt(row.p50)} | ${fmt(row.p90)} | ${fmt(row.p99)} | ${fmt(row.max)} | ${fmt(row.slowShare * 100, 1)} % | ${fmt(row.rps, 0)} |`,
  );
  return row;
});
const rr = summary[0];
const ewma = summary[2];
const ratio = ewma.p99 / rr.p99;
console.log('\n| target | measured | met |\n|---|---:|---|');
console.log(`| p99 P2C + peak EWMA ≤ 0.2 × round robin's | ${fmt(ratio, 3)}× (${fmt(ewma.p99)} ms vs ${fmt(rr.p99)} ms) | ${ratio <= 0.2 ? 'yes' : '**no**'} |`);

await registry.close();
for (const server of servers) {
  server.closeAllConnections();
  server.close();
}
