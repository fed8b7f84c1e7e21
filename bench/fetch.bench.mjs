// fetch.bench.mjs: the cost of discovery. One loopback HTTP instance (a child process); the same request sent by
// plain undici and by roster's discovery-aware clients (defaults: P2C + peak EWMA, retry with
// budget, per-attempt and per-call deadlines), interleaved, so every contender sees the same
// machine state.
//
// Run:  npx tsc -b packages/roster && node bench/run.js fetch      (or: npm run bench -- fetch)
// Plain JavaScript over the built library (packages/roster/dist), like every benchmark here.
//
// What is measured: time per request, the response body read to the end (`.text()`), each
// contender with its own keep-alive undici Agent (one connection when sequential):
// - sequential: one request in flight (latency);
// - concurrent: 32 in flight (throughput, time = wall time / requests).
// Each repetition runs every contender once (400 requests), in a rotated order; the ratio to
// undici's request() is taken per repetition and its median reported. Many short repetitions
// (31) rather than a few long ones: on a shared machine the load drifts within seconds, and
// only contenders measured close together in time compare fairly.
// Also measured: the CPU cost of one call without any I/O (a dispatcher that answers at once),
// i.e. what roster adds per request: the picker, the middleware chain, deadlines, counters.
// The registry is the memory backend: it is not on the request path (the picker is in memory).
// Bounded: 31 repetitions × 2 modes × 6 contenders × 400 requests, on loopback only.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { Agent, Dispatcher, fetch as undiciFetch, request } from 'undici';

const REPS = 31;
const REQUESTS = 400;
const CONCURRENCY = 32;
const BODY = JSON.stringify({ id: 'orders-1', items: [1, 2, 3] });

// The instance runs in a child process (this file with --instance), so that the client's cost
// is not diluted by the server's work on the same event loop. It lives at most 5 minutes and
// exits when its stdin closes.
if (process.argv.includes('--instance')) await serveInstance();

const lib = new URL('../packages/roster/dist/', import.meta.url);
const load = async (file) => import(new URL(`${file}.js`, lib).href);
const { serviceClient } = await load('fetch/service-client');
const { createFetch } = await load('fetch/create-fetch');
const { memoryRegistry } = await load('registry/memory');

const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--instance'], { stdio: ['pipe', 'pipe', 'inherit'] });
const [line] = await once(child.stdout, 'data');
const port = Number(String(line).trim());
const origin = `http://127.0.0.1:${port}`;
const url = `${origin}/v1/items`;

const registry = memoryRegistry();
await registry.register({ service: 'orders', id: 'orders-1', address: '127.0.0.1', port });

const agents = [];
const agent = () => {
  const a = new Agent();
  agents.push(a);
  return a;
};
const undiciAgent = agent();
const dispatcherAgent = agent();
const undiciFetchAgent = agent();
const client = serviceClient({ registry, service: 'orders' });
const discoveryFetch = createFetch({ registry });

/** name → one request, body read to the end. */
const contenders = [
  ['undici request(url)', async () => (await request(url, { dispatcher: undiciAgent })).body.text()],
  [
    'undici dispatcher.request({ origin, path })',
    async () => (await dispatcherAgent.request({ origin, path: '/v1/items', method: 'GET' })).body.text(),
  ],
  ['roster serviceClient.request(path)', async () => (await client.request('/v1/items')).body.text()],
  ['roster createFetch().request(url)', async () => (await discoveryFetch.request('http://orders/v1/items')).body.text()],
  ['undici fetch(url)', async () => (await undiciFetch(url, { dispatcher: undiciFetchAgent })).text()],
  ['roster createFetch()(url) (WHATWG)', async () => (await discoveryFetch('http://orders/v1/items')).text()],
];
const BASELINE = 0;
const DIRECT = 1;

async function sequential(fn, n) {
  const start = performance.now();
  for (let i = 0; i < n; i++) await fn();
  return ((performance.now() - start) * 1000) / n;
}

async function concurrent(fn, n) {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      await fn();
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return ((performance.now() - start) * 1000) / n;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (x, d = 1) => x.toFixed(d);

// Warm-up: connections open, code optimized.
for (const [, fn] of contenders) {
  await sequential(fn, REQUESTS);
  await concurrent(fn, REQUESTS);
}

const results = {};
for (const [mode, run] of [
  ['sequential', sequential],
  ['concurrent', concurrent],
]) {
  const times = contenders.map(() => []);
  for (let rep = 0; rep < REPS; rep++) {
    for (let k = 0; k < contenders.length; k++) {
      const c = (rep + k) % contenders.length;
      times[c].push(await run(contenders[c][1], REQUESTS));
    }
  }
  results[mode] = contenders.map(([name], c) => {
    const ratios = times[c].map((t, rep) => t / times[BASELINE][rep]);
    const direct = median(times[c].map((t, rep) => t / times[DIRECT][rep]));
    return { name, us: median(times[c]), ratio: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios), direct };
  });
}

for (const mode of ['sequential', 'concurrent']) {
  console.log(`\n### ${mode === 'sequential' ? 'one request in flight' : `${CONCURRENCY} requests in flight`}\n`);
  console.log(
    '| contender | µs/request (median) | × undici request() (median of per-repetition ratios) | ratio range | × dispatcher.request() |',
  );
  console.log('|---|---:|---:|---:|---:|');
  for (const r of results[mode]) {
    console.log(`| ${r.name} | ${fmt(r.us)} | ${fmt(r.ratio, 3)}× | ${fmt(r.min, 2)}–${fmt(r.max, 2)} | ${fmt(r.direct, 3)}× |`);
  }
}

const target = (mode) => results[mode].find((r) => r.name.startsWith('roster serviceClient')).ratio;
const targetUrl = (mode) => results[mode].find((r) => r.name.startsWith('roster createFetch().request')).ratio;
console.log(`\n${REPS} repetitions × ${REQUESTS} requests per contender and mode, interleaved.\n`);
console.log('| target | measured | met |\n|---|---:|---|');
for (const mode of ['sequential', 'concurrent']) {
  for (const [label, ratio] of [
    ['serviceClient.request', target(mode)],
    ['createFetch().request', targetUrl(mode)],
  ]) {
    console.log(`| ${label} ≤ 1.1× undici request(), ${mode} | ${fmt(ratio, 3)}× | ${ratio <= 1.1 ? 'yes' : '**no**'} |`);
  }
}

// What roster adds per call, without I/O: a dispatcher that answers at once.
const instantBody = { text: async () => '', dump: async () => {} };
class InstantDispatcher extends Dispatcher {
  request() {
    return Promise.resolve({ statusCode: 200, headers: {}, body: instantBody });
  }
  async close() {}
}
const instant = new InstantDispatcher();
const instantClient = serviceClient({ registry, service: 'orders', dispatcher: instant });
const bareClient = serviceClient({
  registry,
  service: 'orders',
  dispatcher: instant,
  retry: false,
  timeout: { attempt: false, overall: false },
});
const cpu = [
  ['dispatcher.request() alone', () => instant.request({ origin, path: '/v1/items', method: 'GET' })],
  ['roster serviceClient.request(), defaults', () => instantClient.request('/v1/items')],
  ['roster serviceClient.request(), no retry, no timeouts', () => bareClient.request('/v1/items')],
];
const CPU_CALLS = 200_000;
const cpuTimes = cpu.map(() => []);
for (let rep = 0; rep < 5; rep++) {
  for (let k = 0; k < cpu.length; k++) cpuTimes[k].push(await sequential(cpu[k][1], CPU_CALLS));
}
console.log(`\n### CPU per call without I/O (median of 5 × ${CPU_CALLS.toLocaleString('en')} calls)\n`);
console.log('| path | µs/call |\n|---|---:|');
for (let k = 0; k < cpu.length; k++) console.log(`| ${cpu[k][0]} | ${fmt(median(cpuTimes[k]), 2)} |`);
await instantClient.close();
await bareClient.close();

await client.close();
await discoveryFetch.close();
await Promise.all(agents.map((a) => a.close()));
await registry.close();
child.stdin.end();
await once(child, 'exit');

/** The child process: the instances, until stdin closes (at most 5 minutes). Never returns. */
async function serveInstance() {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) });
    res.end(BODY);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.stdout.write(`${server.address().port}\n`);
  process.stdin.on('close', () => process.exit(0));
  process.stdin.resume();
  setTimeout(() => process.exit(0), 5 * 60_000).unref();
  await new Promise(() => {});
}
