// grpc.bench.mjs: roster for grpc-js (issue 17), two questions, same run, loopback only.
//
// 1. One slow instance of five: five grpc-js Echo servers (in a child process, so their work does
//    not share the client's event loop); four answer at once, one after 20 ms. A grpc-js client
//    on `roster:///echo` with roster's roster_p2c_ewma vs the same target with grpc-js's own
//    round_robin (`?lb=round_robin`), 8 then 16 calls in flight. Target: p99 with roster_p2c_ewma
//    ≤ 0.2 × round_robin's.
// 2. The resolver's own cost: the four fast instances through `roster:///fast?lb=round_robin` vs
//    grpc-js's built-in `ipv4:` resolver listing the same four addresses, with the same
//    round_robin policy, so only the resolver differs. Target: time per call ≤ 1.05×.
//
// Run:  npm run build && node bench/run.js grpc
//
// Per repetition and variant: a fresh client (a fresh channel and LB policy: roster_p2c_ewma
// learns during the warm-up, not measured), then the measured calls. Variants interleaved, order
// rotated per repetition; medians over the repetitions.
// Bounded: (2 × 2 + 2) × 5 × 3,300 calls on loopback, a minute or two; the child lives ≤ 5 min.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fmt, median, quantile } from './lib/stats.mjs';

const REPS = 5;
const WARMUP = 300;
const CALLS = 3000;
const CONCURRENCIES = [8, 16];
const SLOW_MS = 20;
const INSTANCES = 5;
const PROTO = fileURLToPath(new URL('../packages/roster/src/grpc/testdata/echo.proto', import.meta.url));
const { Echo } = grpc.loadPackageDefinition(protoLoader.loadSync(PROTO)).rostertest;

if (process.argv.includes('--instances')) await serveInstances();

const lib = new URL('../packages/roster/dist/', import.meta.url);
const { memoryRegistry } = await import(new URL('registry/memory.js', lib).href);
const { registerGrpcResolver } = await import(new URL('grpc/index.js', lib).href);

const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--instances'], { stdio: ['pipe', 'pipe', 'inherit'] });
const [line] = await once(child.stdout, 'data');
const ports = JSON.parse(String(line));
const registry = memoryRegistry();
for (let i = 0; i < INSTANCES; i++) {
  await registry.register({ service: 'echo', id: `echo-${i + 1}`, address: '127.0.0.1', port: ports[i] });
  if (i < INSTANCES - 1) await registry.register({ service: 'fast', id: `fast-${i + 1}`, address: '127.0.0.1', port: ports[i] });
}
registerGrpcResolver({ registry, retry: false });
const ipv4 = `ipv4:${ports
  .slice(0, INSTANCES - 1)
  .map((p) => `127.0.0.1:${p}`)
  .join(',')}`;
const RR = { 'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }) };

/** `total` Who calls, `concurrency` at a time, on a fresh client; latencies of the measured ones. */
async function run(target, options, concurrency) {
  const client = new Echo(target, grpc.credentials.createInsecure(), options);
  const call = () =>
    new Promise((resolve, reject) => {
      const start = performance.now();
      client.Who({}, (error, reply) => (error ? reject(error) : resolve({ ms: performance.now() - start, id: reply.instance })));
    });
  let next = 0;
  const latencies = [];
  let slowCalls = 0;
  const worker = async (measure, total) => {
    while (next < total) {
      next++;
      const r = await call();
      if (measure) {
        latencies.push(r.ms);
        if (r.id === String(INSTANCES)) slowCalls++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, () => worker(false, WARMUP)));
  next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, () => worker(true, CALLS)));
  const wallMs = performance.now() - start;
  client.close();
  return {
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    slowShare: slowCalls / CALLS,
    usPerCall: (wallMs * 1000) / CALLS,
  };
}

/** Runs each variant REPS times, interleaved with the order rotated; medians per variant. */
async function compare(variants, concurrency) {
  const runs = variants.map(() => []);
  for (let rep = 0; rep < REPS; rep++) {
    for (let k = 0; k < variants.length; k++) {
      const v = (rep + k) % variants.length;
      runs[v].push(await run(variants[v].target, variants[v].options, concurrency));
    }
  }
  return variants.map((v, i) => {
    const m = (key) => median(runs[i].map((r) => r[key]));
    return { name: v.name, p50: m('p50'), p99: m('p99'), slowShare: m('slowShare'), usPerCall: m('usPerCall'), all: runs[i] };
  });
}

const verdicts = [];
for (const concurrency of CONCURRENCIES) {
  const [p2c, rr] = await compare(
    [
      { name: 'roster_p2c_ewma (roster:///echo)', target: 'roster:///echo', options: {} },
      { name: 'round_robin (roster:///echo?lb=round_robin)', target: 'roster:///echo?lb=round_robin', options: {} },
    ],
    concurrency,
  );
  console.log(`\n### One slow instance (${SLOW_MS} ms) of ${INSTANCES}, ${concurrency} calls in flight\n`);
  console.log(`${CALLS} measured calls per run after ${WARMUP} warm-up calls; medians over ${REPS} runs.\n`);
  console.log('| policy | p50 ms | p99 ms | calls to the slow instance | µs per call |\n|---|---:|---:|---:|---:|');
  for (const r of [p2c, rr])
    console.log(`| ${r.name} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.slowShare * 100)} % | ${fmt(r.usPerCall)} |`);
  const ratio = p2c.p99 / rr.p99;
  const range = p2c.all.map((r, i) => r.p99 / rr.all[i].p99);
  verdicts.push([
    `p99 roster_p2c_ewma ≤ 0.2 × round_robin's, ${concurrency} in flight`,
    `${fmt(ratio)}× (${fmt(p2c.p99)} vs ${fmt(rr.p99)} ms; runs ${fmt(Math.min(...range))}–${fmt(Math.max(...range))}×)`,
    ratio <= 0.2,
  ]);
}

const [roster, builtin] = await compare(
  [
    { name: 'roster:///fast?lb=round_robin', target: 'roster:///fast?lb=round_robin', options: {} },
    { name: `ipv4:… (same 4 addresses), round_robin`, target: ipv4, options: RR },
  ],
  8,
);
console.log(`\n### Resolver overhead: roster vs grpc-js's ipv4: resolver, same ${INSTANCES - 1} instances, round_robin, 8 in flight\n`);
console.log('| target | p50 ms | p99 ms | µs per call |\n|---|---:|---:|---:|');
for (const r of [roster, builtin]) console.log(`| ${r.name} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.usPerCall)} |`);
const overhead = roster.usPerCall / builtin.usPerCall;
const spread = roster.all.map((r, i) => r.usPerCall / builtin.all[i].usPerCall);
verdicts.push([
  'time per call, roster: resolver ≤ 1.05 × ipv4: resolver',
  `${fmt(overhead)}× (${fmt(roster.usPerCall)} vs ${fmt(builtin.usPerCall)} µs; runs ${fmt(Math.min(...spread))}–${fmt(Math.max(...spread))}×)`,
  overhead <= 1.05,
]);

console.log('\n| target | measured | met |\n|---|---:|---|');
for (const [what, measured, met] of verdicts) console.log(`| ${what} | ${measured} | ${met ? 'yes' : '**no**'} |`);

await registry.close();
child.stdin.end();
await once(child, 'exit');

/** The child process: five Echo servers, until stdin closes (at most 5 minutes). Never returns. */
async function serveInstances() {
  const ports = [];
  for (let i = 0; i < INSTANCES; i++) {
    const slow = i === INSTANCES - 1;
    const id = String(i + 1);
    const server = new grpc.Server();
    server.addService(Echo.service, {
      Who(_call, callback) {
        if (slow) setTimeout(() => callback(null, { instance: id }), SLOW_MS);
        else callback(null, { instance: id });
      },
      Count(call) {
        call.end();
      },
    });
    ports.push(
      await new Promise((resolve, reject) =>
        server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
      ),
    );
  }
  process.stdout.write(`${JSON.stringify(ports)}\n`);
  process.stdin.on('close', () => process.exit(0));
  process.stdin.resume();
  setTimeout(() => process.exit(0), 5 * 60_000).unref();
  await new Promise(() => {});
}
