#!/usr/bin/env node
/**
 * Overhead of roster's etcd backend over raw `etcd3` calls doing the same work, in one run,
 * interleaved op by op (roster, raw, roster, raw…, the order swapped every repetition):
 *
 *   registration  roster: registry.register({… ttl: '10s'})
 *                 raw:    etcd3 lease grant (10 s) + put of the same JSON value attached to it
 *   watch         time from issuing a put (raw client, same for both) until the watcher has it:
 *                 roster: the next snapshot from registry.watch(service)
 *                 raw:    an etcd3 prefix watcher's 'put' event, value JSON-parsed
 *
 * Each registration is revoked after it is measured (outside the timing), so no renewals pile up.
 * Per repetition the median latency of each side gives a ratio roster/raw; the result is the
 * median ratio over the repetitions (target ≤ 1.1).
 *
 * Usage: npm run build && node bench/etcd-overhead.bench.mjs [--reps 9] [--ops 300] [--json]
 *   ETCD_ENDPOINTS=h:2379,… uses a running etcd instead of starting one (Debian's etcd-server).
 *   ROSTER_DIST=dir reads roster's build from dir instead of packages/roster/dist.
 * As a module: `import { benchEtcdOverhead } from './etcd-overhead.bench.mjs'` (for bench/run.js).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts a one-member etcd on loopback (data on /dev/shm when there is one); returns its endpoint and a stop function. */
async function startEtcd() {
  const dir = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'roster-bench-etcd-'));
  const [client, peer] = [await freePort(), await freePort()];
  const child = spawn(
    'etcd',
    [
      '--name=bench',
      `--data-dir=${dir}`,
      `--listen-client-urls=http://127.0.0.1:${client}`,
      `--advertise-client-urls=http://127.0.0.1:${client}`,
      `--listen-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-cluster=bench=http://127.0.0.1:${peer}`,
      '--logger=zap',
      '--log-level=error',
    ],
    { stdio: 'ignore' },
  );
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 200; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${client}/health`);
      if ((await res.json()).health === 'true') return { endpoints: [`127.0.0.1:${client}`], stop };
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  await stop();
  throw new Error('etcd did not become healthy');
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

/** A value as roster writes it (schema 1), so both sides store and decode the same bytes. */
const instanceJson = (service, id, port) =>
  JSON.stringify({
    schema: 1,
    id,
    service,
    address: '127.0.0.1',
    port,
    tags: ['bench'],
    meta: {},
    weight: 1,
    zone: '',
    health: 'passing',
    output: '',
  });

/**
 * Runs the benchmark. Returns per-repetition medians (ms) and ratios, and the median ratio of
 * each measurement.
 */
export async function benchEtcdOverhead({ repetitions = 9, ops = 300, warmup = 200, log = () => {} } = {}) {
  const dist = process.env.ROSTER_DIST ?? join(root, 'packages/roster/dist');
  const { etcdRegistry } = await import(pathToFileURL(join(dist, 'registry/etcd/index.js')).href);
  const { Etcd3 } = createRequire(join(root, 'package.json'))('etcd3');
  const own = process.env.ETCD_ENDPOINTS ? undefined : await startEtcd();
  const endpoints = own?.endpoints ?? process.env.ETCD_ENDPOINTS.split(',');
  const roster = etcdRegistry({ url: `etcd://${endpoints.join(',')}` });
  const raw = new Etcd3({ hosts: endpoints });
  const writer = new Etcd3({ hosts: endpoints });
  const prefix = '/roster/services/';
  try {
    // --- registration -------------------------------------------------------------------
    let n = 0;
    const rosterRegister = async () => {
      const id = `r-${n++}`;
      const t0 = performance.now();
      const lease = await roster.register({
        service: 'bench-reg',
        id,
        address: '127.0.0.1',
        port: 1000 + (n % 60_000),
        tags: ['bench'],
        ttl: '10s',
      });
      const ms = performance.now() - t0;
      await lease.deregister();
      return ms;
    };
    const rawRegister = async () => {
      const id = `w-${n++}`;
      const t0 = performance.now();
      const { ID } = await raw.leaseClient.leaseGrant({ TTL: 10 });
      await raw.kv.put({
        key: Buffer.from(`${prefix}bench-reg/${encodeURIComponent(id)}`),
        value: Buffer.from(instanceJson('bench-reg', id, 1000 + (n % 60_000))),
        lease: ID,
      });
      const ms = performance.now() - t0;
      await raw.leaseClient.leaseRevoke({ ID });
      return ms;
    };

    // --- watch --------------------------------------------------------------------------
    // Each side watches its own service with 20 instances; a put changes one instance.
    for (const service of ['bench-watch-roster', 'bench-watch-raw'])
      for (let i = 0; i < 20; i++) await writer.put(`${prefix}${service}/i-${i}`).value(instanceJson(service, `i-${i}`, 2000 + i));
    let resolveRoster;
    let resolveRaw;
    const ac = new AbortController();
    const iterator = roster.watch('bench-watch-roster', { signal: ac.signal })[Symbol.asyncIterator]();
    await iterator.next(); // the current state
    const pump = (async () => {
      for (;;) {
        const r = await iterator.next();
        if (r.done) return;
        resolveRoster?.(r.value);
      }
    })();
    const watcher = await raw.watch().prefix(`${prefix}bench-watch-raw/`).create();
    watcher.on('put', (kv) => resolveRaw?.(JSON.parse(kv.value.toString())));
    let port = 3000;
    const watchOnce = async (service, arm) => {
      const p = port++;
      const got = new Promise((resolve) => arm(resolve));
      const t0 = performance.now();
      void writer.kv.put({ key: Buffer.from(`${prefix}${service}/i-0`), value: Buffer.from(instanceJson(service, 'i-0', p)) });
      await got;
      return performance.now() - t0;
    };
    const rosterWatch = () => watchOnce('bench-watch-roster', (r) => (resolveRoster = r));
    const rawWatch = () => watchOnce('bench-watch-raw', (r) => (resolveRaw = r));

    const measure = async (name, a, b) => {
      for (let i = 0; i < warmup; i++) {
        await a();
        await b();
      }
      const reps = [];
      for (let rep = 0; rep < repetitions; rep++) {
        const xs = [];
        const ys = [];
        for (let i = 0; i < ops; i++) {
          if ((rep + i) % 2 === 0) {
            xs.push(await a());
            ys.push(await b());
          } else {
            ys.push(await b());
            xs.push(await a());
          }
        }
        const r = { roster: median(xs), raw: median(ys), rosterP90: quantile(xs, 0.9), rawP90: quantile(ys, 0.9) };
        r.ratio = r.roster / r.raw;
        reps.push(r);
        log(`${name} rep ${rep + 1}: roster ${r.roster.toFixed(3)} ms, raw ${r.raw.toFixed(3)} ms, ratio ${r.ratio.toFixed(3)}`);
      }
      return {
        repetitions: reps,
        medianRatio: median(reps.map((r) => r.ratio)),
        rosterMedianMs: median(reps.map((r) => r.roster)),
        rawMedianMs: median(reps.map((r) => r.raw)),
      };
    };

    const registration = await measure('registration', rosterRegister, rawRegister);
    const watch = await measure('watch', rosterWatch, rawWatch);
    ac.abort();
    await watcher.cancel();
    await pump.catch(() => {});
    return {
      machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version },
      etcd: endpoints,
      ops,
      registration,
      watch,
    };
  } finally {
    await roster.close();
    raw.close();
    writer.close();
    await own?.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const json = process.argv.includes('--json');
  const result = await benchEtcdOverhead({
    repetitions: arg('reps', 9),
    ops: arg('ops', 300),
    log: json ? () => {} : (line) => console.log(line),
  });
  if (json) console.log(JSON.stringify(result, null, 2));
  else {
    for (const name of ['registration', 'watch']) {
      const r = result[name];
      const verdict = r.medianRatio <= 1.1 ? 'ok' : 'ABOVE TARGET';
      console.log(
        `${name}: roster ${r.rosterMedianMs.toFixed(3)} ms, raw etcd3 ${r.rawMedianMs.toFixed(3)} ms, median ratio ${r.medianRatio.toFixed(3)} (target ≤ 1.1: ${verdict})`,
      );
    }
  }
}
