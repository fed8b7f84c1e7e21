#!/usr/bin/env node
// ab-builds.mjs: two builds of roster serve side by side, in alternating windows of the same load,
// so that a change is measured against the build before it in the same minutes (this machine's
// absolute numbers move by up to 2x between minutes; a same-minute A/B does not).
//
//   node bench/lib/ab-builds.mjs A_ROOT B_ROOT [--op register|renew|read|read-gzip] [--clients 64] [--count N]
//        [--reps 8] [--sync full|normal]
//
// `read` and `read-gzip`: GET /v1/health/service/big (1,000 instances registered first, the answer
// read whole; with Accept-Encoding: gzip for `read-gzip`).
// A_ROOT and B_ROOT are checkouts with `npx tsc -b packages/roster packages/server packages/cli`
// done (e.g. `git worktree add /tmp/base HEAD~3`, node_modules linked or installed). Prints
// each build's median rate over the windows, every window's rate, and the median server CPU
// (all threads, /proc schedstat) per operation. Loopback only; every window is bounded in count
// and time; both servers are stopped at the end.
import { closedLoop } from './load.mjs';
import { httpPool, registration, send } from './clients.mjs';
import { cpuPreciseMs, removeDir, spawnTracked, tempDir } from './procs.mjs';
import { rosterBulkRegister } from './serve-metrics.mjs';

const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
};
const roots = argv.filter((a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--'));
if (roots.length !== 2) {
  console.error(
    'usage: node bench/lib/ab-builds.mjs A_ROOT B_ROOT [--op register|renew|read|read-gzip] [--clients N] [--count N] [--reps N] [--sync full|normal]',
  );
  process.exit(2);
}
const kind = opt('op', 'register');
const clients = Number(opt('clients', 64));
const count = Number(opt('count', clients === 1 ? 1000 : 8000));
const reps = Number(opt('reps', 8));
const sync = opt('sync', 'full');

const builds = roots.map((root, i) => ({ name: 'AB'[i], root, rates: [], cpu: [] }));
try {
  for (const b of builds) {
    b.dir = tempDir(undefined, 'roster-ab-');
    const args = [`${b.root}/packages/cli/dist/bin.js`, 'serve', '--port', '0', '--data-dir', b.dir, '--log-level', 'warn', '--sync', sync];
    b.proc = spawnTracked(`roster ${b.name}`, process.execPath, args, /listening on (https?:\/\/\S+)/);
    const [, url] = await b.proc.started;
    b.pool = httpPool(url, 128);
    for (let i = 0; i < 64; i++)
      await send(b.pool, 'PUT', '/v1/agent/service/register', registration('ab-renew', `r${i}`, 1000 + i, '10m'));
    if (kind.startsWith('read'))
      await rosterBulkRegister(
        b.pool,
        'big',
        Array.from({ length: 1000 }, (_, i) => `big-${i}`),
      );
  }
  const read = (b, headers) => async () => {
    const res = await b.pool.request({ method: 'GET', path: '/v1/health/service/big', headers });
    await res.body.arrayBuffer();
    if (res.statusCode !== 200) throw new Error(`read: HTTP ${res.statusCode}`);
  };
  let serial = 0;
  const opOf = (b) =>
    kind === 'renew'
      ? () => send(b.pool, 'PUT', `/v1/agent/check/pass/r${serial++ % 64}:ttl`)
      : kind === 'read'
        ? read(b, {})
        : kind === 'read-gzip'
          ? read(b, { 'accept-encoding': 'gzip' })
          : () => send(b.pool, 'PUT', '/v1/agent/service/register', registration('ab', `i${serial++}`, 1000 + (serial % 5000), '10m'));
  // Warm-up: V8 optimizes the path at both concurrencies before anything is timed.
  for (const b of builds) {
    await closedLoop({ concurrency: 64, count: 10_000, timeMs: 20_000, op: opOf(b) });
    await closedLoop({ concurrency: 1, count: 500, timeMs: 20_000, op: opOf(b) });
  }
  for (let r = 0; r < reps; r++) {
    for (const b of r % 2 ? [...builds].reverse() : builds) {
      const cpu0 = cpuPreciseMs(b.proc.child.pid);
      const res = await closedLoop({ concurrency: clients, count, timeMs: 10_000, op: opOf(b) });
      b.rates.push(res.perSecond);
      b.cpu.push(((cpuPreciseMs(b.proc.child.pid) - cpu0) * 1000) / res.done);
    }
  }
  const median = (xs) => [...xs].sort((x, y) => x - y)[xs.length >> 1];
  for (const b of builds) {
    console.log(
      `${b.name} ${b.root}: ${kind} --sync ${sync}, ${clients} client(s): median ${median(b.rates).toFixed(0)}/s [${b.rates.map((x) => x.toFixed(0)).join(' ')}], server CPU ${median(b.cpu).toFixed(1)} µs/op`,
    );
  }
} finally {
  for (const b of builds) {
    await b.pool?.close();
    await b.proc?.stop();
    if (b.dir) removeDir(b.dir);
  }
}
