// One million instances in one roster serve (`npm run bench -- million`): registers 1,000,000
// instances without checks through the real API (`PUT /v1/agent/service/register`, 128 in flight
// over 128 keep-alive connections, loopback), spread over 1,000 service names, and reads the
// server's VmRSS every 100,000 registrations and once settled at the end. Goal (issue 18): the
// million fits in ≤ 1 GiB RSS. Bounded in time (default 20 minutes of registering; what was
// reached is reported). `--sync normal`: durability does not change the memory, and it keeps the
// run short on a shared disk.
//
//   node bench/million.bench.mjs [--instances 1000000] [--concurrency 128] [--minutes 20] [--sync normal|full]
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { httpPool, registration, send } from './lib/clients.mjs';
import { forEachLimited } from './lib/load.mjs';
import { rssBytes, startRoster } from './lib/procs.mjs';

const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
};
const instances = Number(opt('instances', process.env.ROSTER_MILLION_INSTANCES ?? 1_000_000));
const concurrency = Number(opt('concurrency', 128));
const minutes = Number(opt('minutes', 20));
const sync = opt('sync', 'normal');
const services = 1000;
const step = 100_000;
if (!(instances > 0 && instances <= 5_000_000)) throw new Error(`--instances must be in (0, 5000000], got ${instances}`);
if (!(concurrency > 0 && concurrency <= 1024)) throw new Error(`--concurrency must be in (0, 1024], got ${concurrency}`);
if (!(minutes > 0 && minutes <= 60)) throw new Error(`--minutes must be in (0, 60], got ${minutes}`);

const log = (line) => process.stderr.write(`${line}\n`);
const mib = (b) => `${(b / 2 ** 20).toFixed(0)} MiB`;

async function metric(pool, name) {
  const text = (await send(pool, 'GET', '/v1/agent/metrics?format=prometheus')).body.toString();
  return Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? Number.NaN);
}

// One client registering as fast as it can is a bulk load, not abuse: roster's per-client request
// rate limit (20,000/s by default) is off here so that the measurement is of the server.
const roster = await startRoster({ sync, name: 'roster (million)', args: ['--rate-limit', 'off'] });
const pool = httpPool(roster.url, concurrency);
const rows = [];
let reached = 0;
let t0;
try {
  console.log(
    `- ${instances.toLocaleString('en')} instances (no checks) over ${services} service names, ${concurrency} in flight, roster serve --sync ${sync}`,
  );
  console.log(
    `- load average at start: ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} on ${os.cpus().length} cores\n`,
  );
  await sleep(1000);
  const base = rssBytes(roster.pid);
  rows.push({ n: 0, rss: base, heap: await metric(pool, 'nodejs_heap_size_used_bytes'), s: 0, rate: 0 });
  t0 = performance.now();
  const deadline = t0 + minutes * 60_000;
  while (reached < instances && performance.now() < deadline) {
    const from = reached;
    const count = Math.min(step, instances - from);
    const ids = Array.from({ length: count }, (_, i) => from + i);
    const s0 = performance.now();
    const done = await forEachLimited(ids, concurrency, deadline - performance.now(), (i) =>
      send(pool, 'PUT', '/v1/agent/service/register', registration(`svc-${i % services}`, `m-${i}`, 1000 + (i % 50_000))),
    );
    reached += done;
    const rate = (done * 1000) / (performance.now() - s0);
    const row = {
      n: reached,
      rss: rssBytes(roster.pid),
      heap: await metric(pool, 'nodejs_heap_size_used_bytes'),
      s: (performance.now() - t0) / 1000,
      rate,
    };
    rows.push(row);
    log(`million: ${reached} registered, RSS ${mib(row.rss)}, heap used ${mib(row.heap)}, ${rate.toFixed(0)}/s`);
    if (done < count) break;
  }
  const registerSeconds = (performance.now() - t0) / 1000;
  // Settled: what the process holds once the registration burst's garbage is collected.
  await sleep(5000);
  const settled = [];
  for (let i = 0; i < 3; i++) {
    settled.push(rssBytes(roster.pid));
    await sleep(500);
  }
  settled.sort((a, b) => a - b);
  const rss = settled[1];
  const text = (await send(pool, 'GET', '/v1/agent/metrics?format=prometheus')).body.toString();
  const counted = [...text.matchAll(/^roster_instances\{[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);

  console.log('| registered | VmRSS | heap used | elapsed | registrations/s (this step) |\n|---:|---:|---:|---:|---:|');
  for (const r of rows)
    console.log(
      `| ${r.n.toLocaleString('en')} | ${mib(r.rss)} | ${mib(r.heap)} | ${r.s.toFixed(0)} s | ${r.rate ? r.rate.toFixed(0) : '—'} |`,
    );
  const per = (rss - base) / Math.max(1, reached);
  console.log(
    `\n- registered ${reached.toLocaleString('en')} instances in ${registerSeconds.toFixed(0)} s (${((reached * 1000) / (registerSeconds * 1000)).toFixed(0)}/s); the server counts ${counted.toLocaleString('en')}`,
  );
  console.log(`- settled VmRSS ${mib(rss)} (fresh process ${mib(base)}); ${per.toFixed(0)} B per instance above the fresh process`);
  const ok = reached === instances && rss <= 2 ** 30;
  console.log(
    `\n| criterion | measured | limit | met |\n|---|---:|---:|---|\n| VmRSS with ${reached.toLocaleString('en')} instances | ${mib(rss)} | ≤ 1024 MiB (all ${instances.toLocaleString('en')}) | ${ok ? 'yes' : '**no**'} |`,
  );
  process.exitCode = ok ? 0 : 1;
} finally {
  await pool.destroy();
  await roster.stop();
}
