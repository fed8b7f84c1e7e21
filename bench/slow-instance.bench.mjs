// slow-instance.bench.mjs: one slow instance of five. Five loopback HTTP instances; four answer
// at once, one adds 20 ms. A discovery-aware client (serviceClient, defaults otherwise) calls
// them with 8, then 16 requests in flight; the latency each call sees is recorded, per strategy.
// Round robin sends a fifth of the calls to the slow one, so its p99 is the slow latency;
// P2C + peak EWMA learns the latencies and routes around the slow instance.
//
// Run:  npx tsc -b packages/roster && node bench/run.js slow-instance   (or: npm run bench -- slow)
//
// Per repetition and strategy: a fresh client (a fresh balancer, which learns during 200
// warm-up calls, not measured), then 4,000 measured calls. Strategies interleaved, 7
// repetitions; p99 of each run, median over the repetitions; the target is the ratio of those
// medians. "p99 of fast calls" (calls that went to the four fast instances) is the floor any
// strategy could reach on this machine at that moment.
// Bounded: 2 × 7 × 3 × 4,200 calls on loopback, under a minute; the instances' process lives ≤ 5 min.
//
// Then, beside it, equal instances: the same five instances without the slow one's delay, and
// a fresh client per run (a cold start: no warm-up, new connections) making 200 calls one at a
// time and 200 calls with 8 in flight, over 2 and over 5 instances. Reported: the calls each
// instance got, as the lowest and highest share relative to a fair share, over 20 runs; target:
// every instance within ±25 % of its share.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

const REPS = 7;
const WARMUP = 200;
const CALLS = 4000;
/** Calls in flight: a moderate and a heavy load for five instances. */
const CONCURRENCIES = [8, 16];
const SLOW_MS = 20;
const INSTANCES = 5;

// The instances run in a child process (this file with --instances), so that their work does
// not share the client's event loop: the client measures the network and the instances, not
// its own queue. The child lives at most 5 minutes and exits when its stdin closes.
if (process.argv.includes('--instances')) await serveInstances(process.argv.includes('--equal'));

const lib = new URL('../packages/roster/dist/', import.meta.url);
const load = async (file) => import(new URL(`${file}.js`, lib).href);
const { serviceClient } = await load('fetch/service-client');
const { memoryRegistry } = await load('registry/memory');
const { roundRobin } = await load('balancer/round-robin');
const { leastRequest } = await load('balancer/least-request');
const { peakEwma } = await load('balancer/peak-ewma');

const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--instances'], { stdio: ['pipe', 'pipe', 'inherit'] });
const [line] = await once(child.stdout, 'data');
const ports = JSON.parse(String(line));
const registry = memoryRegistry();
for (let i = 0; i < INSTANCES; i++) {
  await registry.register({ service: 'orders', id: `orders-${i + 1}`, address: '127.0.0.1', port: ports[i] });
}
const SLOW_ID = `orders-${INSTANCES}`;

const strategies = [
  ['round robin', () => roundRobin()],
  ['P2C least request', () => leastRequest()],
  ['P2C + peak EWMA', () => peakEwma()],
];

async function run(makeStrategy, concurrency) {
  const client = serviceClient({ registry, service: 'orders', strategy: makeStrategy() });
  const call = async () => {
    const start = performance.now();
    const res = await client.request('/v1/items');
    await res.body.text();
    return { ms: performance.now() - start, id: res.instance.id };
  };
  let next = 0;
  const latencies = [];
  const fast = [];
  let slowCalls = 0;
  const worker = async (measure, total) => {
    while (next < total) {
      next++;
      const r = await call();
      if (measure) {
        latencies.push(r.ms);
        if (r.id === SLOW_ID) slowCalls++;
        else fast.push(r.ms);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, () => worker(false, WARMUP)));
  next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, () => worker(true, CALLS)));
  const wallMs = performance.now() - start;
  await client.close();
  latencies.sort((a, b) => a - b);
  fast.sort((a, b) => a - b);
  const q = (xs, p) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))];
  return {
    p50: q(latencies, 0.5),
    p90: q(latencies, 0.9),
    p99: q(latencies, 0.99),
    max: latencies[latencies.length - 1],
    fastP99: q(fast, 0.99),
    slowShare: slowCalls / CALLS,
    rps: (CALLS / wallMs) * 1000,
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (x, d = 2) => x.toFixed(d);

const targets = [];
for (const concurrency of CONCURRENCIES) {
  const runs = strategies.map(() => []);
  for (let rep = 0; rep < REPS; rep++) {
    for (let k = 0; k < strategies.length; k++) {
      const s = (rep + k) % strategies.length;
      runs[s].push(await run(strategies[s][1], concurrency));
    }
  }
  console.log(`\n### ${concurrency} calls in flight\n`);
  console.log(`${INSTANCES} loopback instances, one adds ${SLOW_MS} ms; ${CALLS} measured calls per run; medians over ${REPS} runs.\n`);
  console.log('| strategy | p50 ms | p90 ms | p99 ms | max ms | p99 of fast calls ms | calls to the slow instance | calls/s |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  const summary = strategies.map(([name], s) => {
    const m = (key) => median(runs[s].map((r) => r[key]));
    const row = { name };
    for (const key of ['p50', 'p90', 'p99', 'max', 'fastP99', 'slowShare', 'rps']) row[key] = m(key);
    const ms = [row.p50, row.p90, row.p99, row.max, row.fastP99].map((x) => fmt(x)).join(' | ');
    console.log(`| ${name} | ${ms} | ${fmt(row.slowShare * 100, 1)} % | ${fmt(row.rps, 0)} |`);
    return row;
  });
  targets.push({ concurrency, rr: summary[0], ewma: summary[2] });
}

console.log('\n| target | measured | met |\n|---|---:|---|');
for (const { concurrency, rr, ewma } of targets) {
  const ratio = ewma.p99 / rr.p99;
  const measured = `${fmt(ratio, 3)}× (${fmt(ewma.p99)} ms vs ${fmt(rr.p99)} ms)`;
  console.log(`| p99 P2C + peak EWMA ≤ 0.2 × round robin's, ${concurrency} in flight | ${measured} | ${ratio <= 0.2 ? 'yes' : '**no**'} |`);
}

await registry.close();
child.stdin.end();
await once(child, 'exit');

// Equal instances: shares from a cold start.
const equalChild = spawn(process.execPath, [fileURLToPath(import.meta.url), '--instances', '--equal'], {
  stdio: ['pipe', 'pipe', 'inherit'],
});
const [equalLine] = await once(equalChild.stdout, 'data');
const equalPorts = JSON.parse(String(equalLine));
const SHARE_CALLS = 200;
const SHARE_TOLERANCE = 0.25;
/** Runs per case for the shares: the target is every run, and 20 makes a 1-in-7 drift visible. */
const SHARE_REPS = 20;
console.log(`\n### Equal instances: shares from a cold start (P2C + peak EWMA, the default of createFetch)\n`);
console.log(`${SHARE_CALLS} calls per run from a fresh client; ${SHARE_REPS} runs; share = calls to an instance / fair share.\n`);
console.log('| instances | calls in flight | lowest share | highest share | runs with every instance within ±25 % |');
console.log('|---:|---:|---:|---:|---:|');
const shareResults = [];
for (const n of [2, 5]) {
  const equalRegistry = memoryRegistry();
  for (let i = 0; i < n; i++) {
    await equalRegistry.register({ service: 'orders', id: `orders-${i + 1}`, address: '127.0.0.1', port: equalPorts[i] });
  }
  for (const concurrency of [1, 8]) {
    let lowest = Infinity;
    let highest = 0;
    let within = 0;
    for (let rep = 0; rep < SHARE_REPS; rep++) {
      const client = serviceClient({ registry: equalRegistry, service: 'orders' });
      const counts = new Map();
      let next = 0;
      const worker = async () => {
        while (next < SHARE_CALLS) {
          next++;
          const res = await client.request('/v1/items');
          await res.body.text();
          counts.set(res.instance.id, (counts.get(res.instance.id) ?? 0) + 1);
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      await client.close();
      const shares = Array.from({ length: n }, (_, i) => (counts.get(`orders-${i + 1}`) ?? 0) / (SHARE_CALLS / n));
      lowest = Math.min(lowest, ...shares);
      highest = Math.max(highest, ...shares);
      if (shares.every((x) => Math.abs(x - 1) <= SHARE_TOLERANCE)) within++;
    }
    shareResults.push({ n, concurrency, within });
    console.log(`| ${n} | ${concurrency} | ${fmt(lowest)} | ${fmt(highest)} | ${within} of ${SHARE_REPS} |`);
  }
  await equalRegistry.close();
}
equalChild.stdin.end();
await once(equalChild, 'exit');
console.log('\n| target | measured | met |\n|---|---:|---|');
for (const { n, concurrency, within } of shareResults) {
  const met = within === SHARE_REPS ? 'yes' : '**no**';
  console.log(
    `| ${n} equal instances, ${concurrency} in flight: every instance within ±25 % of its share | ${within} of ${SHARE_REPS} runs | ${met} |`,
  );
}

/** The child process: the instances, until stdin closes (at most 5 minutes). Never returns. */
async function serveInstances(equal) {
  const ports = [];
  for (let i = 0; i < INSTANCES; i++) {
    const slow = !equal && i === INSTANCES - 1;
    const server = http.createServer((_req, res) => {
      const answer = () => res.end(`{"i":${i}}`);
      if (slow) setTimeout(answer, SLOW_MS);
      else answer();
    });
    server.keepAliveTimeout = 60_000;
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    ports.push(server.address().port);
  }
  process.stdout.write(`${JSON.stringify(ports)}\n`);
  process.stdin.on('close', () => process.exit(0));
  process.stdin.resume();
  setTimeout(() => process.exit(0), 5 * 60_000).unref();
  await new Promise(() => {});
}
