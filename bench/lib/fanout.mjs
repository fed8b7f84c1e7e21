// The fan-out measurement (bench/fanout.bench.mjs): `clients` client connections (stand-ins for
// as many processes), each watching the same `services` services, three ways in one run:
//
//   stream    roster serve's streaming watch: one GET /v1/roster/watch per client carrying all
//             its watches (clients × services watches on `clients` connections)
//   blocking  one blocking query per (client, service) on its own connection:
//             GET /v1/health/service/<name>?index=N (clients × services connections)
//   etcd      one etcd3 client per client (one gRPC channel each) × one prefix watcher per service
//
// A change is a re-registration of the service's one instance (roster) or a put of its key
// (etcd). Measured: one change → the last of its `clients` watchers notified; a burst changing
// every service at once → the last of all clients × services watchers notified; the server's
// CPU time (/proc schedstat, all threads) per change over those changes. The two roster ways
// run on the same roster serve process one after the other (never connected at once, so each
// one's CPU is its own); etcd's watchers stay connected (they fire only on etcd changes). Every
// loop and wait is bounded; every connection and process opened here is closed.
import { setMaxListeners } from 'node:events';
import { request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { etcdClient, etcdPrefix, etcdValue, httpPool, registration, send } from './clients.mjs';
import { cpuPreciseMs, removeDir, spawnTracked, startBare, startEtcd, tempDir } from './procs.mjs';
import { measureWakeCpu } from './wake-cpu.mjs';
import { median, quantile } from './stats.mjs';

const serverScript = fileURLToPath(new URL('./fanout-server.mjs', import.meta.url));
const WAIT_LIMIT_MS = 60_000;

/** roster serve with raised connection limits (bench/lib/fanout-server.mjs), its own process. */
async function startFanoutRoster({ base, sync }) {
  const dataDir = tempDir(base, 'roster-bench-fanout-');
  const p = spawnTracked(
    `roster (fan-out, --sync ${sync})`,
    process.execPath,
    [serverScript, dataDir, sync],
    /listening on (http:\/\/\S+)/,
  );
  try {
    const [, url] = await p.started;
    return {
      url,
      pid: p.child.pid,
      async stop() {
        await p.stop(15_000);
        removeDir(dataDir);
      },
    };
  } catch (error) {
    await p.stop();
    removeDir(dataDir);
    throw error;
  }
}

/**
 * Who was notified of what: `expect(services, need)` arms a wait for `need` notifications of
 * each listed service; `notify(i)` records one; `done` resolves with the arrival times.
 */
class Notices {
  #armed = new Map();

  expect(services, need) {
    const t0 = performance.now();
    const total = services.length * need;
    const times = [];
    let resolve;
    const done = new Promise((r) => (resolve = r));
    const record = (at) => {
      times.push(at);
      if (times.length === total) resolve(times);
    };
    for (const i of services) this.#armed.set(i, { need, got: 0, record });
    let timer;
    return {
      t0,
      done: Promise.race([
        done,
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`only ${times.length} of ${total} watchers notified within ${WAIT_LIMIT_MS} ms`)),
            WAIT_LIMIT_MS,
          );
        }),
      ]).finally(() => clearTimeout(timer)),
      disarm: () => {
        for (const i of services) this.#armed.delete(i);
      },
    };
  }

  notify(i) {
    const a = this.#armed.get(i);
    if (!a || a.got >= a.need) return;
    a.got++;
    a.record(performance.now());
  }
}

/** The streaming side: `clients` streams, each watching every service. */
async function openStreams(url, names, clients, notices) {
  const streams = [];
  const initial = new Promise((resolve, reject) => {
    let left = clients * names.length;
    const timer = setTimeout(() => reject(new Error(`streams: only ${clients * names.length - left} initial states came`)), WAIT_LIMIT_MS);
    const query = names.map((n) => `service=${n}`).join('&');
    for (let c = 0; c < clients; c++) {
      const last = new Map();
      const req = httpRequest(`${url}/v1/roster/watch?${query}`, { agent: false });
      req.on('error', () => {});
      req.on('response', (res) => {
        if (res.statusCode !== 200) return reject(new Error(`stream: HTTP ${res.statusCode}`));
        let rest = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          rest += chunk;
          let nl;
          while ((nl = rest.indexOf('\n')) >= 0) {
            const line = rest.slice(0, nl);
            rest = rest.slice(nl + 1);
            // Only the head of a line is needed: {"Service":"svc-N","Index":M,...
            const m = /^\{"Service":"svc-(\d+)","Index":(\d+)/.exec(line);
            if (!m) continue;
            const i = Number(m[1]);
            const index = Number(m[2]);
            const before = last.get(i);
            last.set(i, index);
            if (before === undefined) {
              if (--left === 0) {
                clearTimeout(timer);
                resolve();
              }
            } else if (index > before) notices.notify(i);
          }
        });
      });
      req.end();
      streams.push(req);
    }
  });
  await initial;
  return { close: () => streams.forEach((r) => r.destroy()) };
}

/** The blocking side: one held query per (client, service), each on its own connection. */
async function openBlocking(url, names, clients, notices, control) {
  const ac = new AbortController();
  setMaxListeners(0, ac.signal); // one listener per held query
  const pools = Array.from(
    { length: clients },
    () => new Pool(url, { connections: names.length, pipelining: 1, headersTimeout: 0, bodyTimeout: 0, keepAliveTimeout: 600_000 }),
  );
  const start = await Promise.all(names.map((n) => send(control, 'GET', `/v1/health/service/${n}`)));
  const firstIndex = start.map((r) => Number(r.headers['x-consul-index']));
  const loops = [];
  let errors = 0;
  let started = 0;
  for (const pool of pools) {
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      loops.push(
        (async () => {
          let index = firstIndex[i];
          let failures = 0;
          while (!ac.signal.aborted) {
            try {
              const res = await pool.request({
                method: 'GET',
                path: `/v1/health/service/${name}?index=${index}&wait=300s`,
                signal: ac.signal,
              });
              await res.body.arrayBuffer();
              if (res.statusCode !== 200) throw new Error(`blocking query: HTTP ${res.statusCode}`);
              const got = Number(res.headers['x-consul-index']);
              if (got > index) notices.notify(i);
              index = got;
            } catch (error) {
              if (ac.signal.aborted) return;
              // Opening thousands of connections at once can meet a reset; retried, counted, bounded.
              errors++;
              if (++failures > 5) throw error;
              await sleep(50);
            }
          }
        })(),
      );
      // Connections are opened in steps (the server's accept queue is finite).
      if (++started % 250 === 0) await sleep(20);
    }
  }
  const failed = Promise.all(loops);
  // Held when the server's gauge says so.
  const deadline = performance.now() + WAIT_LIMIT_MS;
  for (;;) {
    const { body } = await send(control, 'GET', '/v1/agent/metrics?format=prometheus');
    const held = Number(/^roster_blocking_queries_held (\d+)/m.exec(body.toString())?.[1] ?? 0);
    if (held >= clients * names.length) break;
    await Promise.race([failed, sleep(0)]);
    if (performance.now() > deadline) throw new Error(`only ${held} of ${clients * names.length} blocking queries held`);
    await sleep(50);
  }
  failed.catch(() => {});
  return {
    errors: () => errors,
    async close() {
      ac.abort();
      await Promise.allSettled(loops);
      await Promise.allSettled(pools.map((p) => p.destroy()));
    },
  };
}

/** The etcd side: `clients` etcd3 clients × one prefix watcher per service. */
async function openEtcd(endpoint, names, clients, notices) {
  const etcds = Array.from({ length: clients }, () => etcdClient(endpoint));
  const watchers = [];
  for (const etcd of etcds) {
    const ws = await Promise.all(names.map((n) => etcd.watch().prefix(etcdPrefix(n)).create()));
    ws.forEach((w, i) => w.on('put', () => notices.notify(i)));
    watchers.push(...ws);
  }
  return {
    async close() {
      await Promise.allSettled(watchers.map((w) => w.cancel()));
      for (const e of etcds) e.close();
    },
  };
}

/**
 * One measurement phase: three untimed changes, then `singles` one-service changes and `bursts`
 * all-service bursts, with the server's CPU time over those.
 */
async function phase({ change, names, clients, notices, pid, singles, bursts, offset }) {
  const single = [];
  const burst = [];
  // Warm-up (not counted): a fresh connection set and a cold code path would land in p99.
  for (let k = 0; k < 3; k++) {
    const w = notices.expect([k % names.length], clients);
    const write = change(k % names.length);
    await w.done;
    w.disarm();
    await write;
  }
  const cpu0 = cpuPreciseMs(pid);
  for (let k = 0; k < singles; k++) {
    const i = (offset + k * 7) % names.length;
    await sleep(10);
    const w = notices.expect([i], clients);
    const write = change(i);
    const times = await w.done;
    w.disarm();
    await write;
    single.push(Math.max(...times) - w.t0);
  }
  const all = names.map((_, i) => i);
  for (let b = 0; b < bursts; b++) {
    await sleep(50);
    const w = notices.expect(all, clients);
    const writes = all.map((i) => change(i));
    const times = await w.done;
    w.disarm();
    await Promise.all(writes);
    burst.push(Math.max(...times) - w.t0);
  }
  const changes = singles + bursts * names.length;
  return { single, burst, cpuPerChangeMs: (cpuPreciseMs(pid) - cpu0) / changes };
}

/** Waits (at most 10 s) until the processes use under 10 % of a core over 250 ms. */
async function settle(pids) {
  const deadline = performance.now() + 10_000;
  await sleep(250);
  while (performance.now() < deadline) {
    const before = pids.map(cpuPreciseMs);
    await sleep(250);
    if (pids.every((pid, k) => cpuPreciseMs(pid) - before[k] < 25)) return;
  }
}

/** Runs the three ways `reps` times, interleaved; see the file comment. */
export async function measureFanout({
  reps = 3,
  services = 100,
  clients = 100,
  singles = 20,
  bursts = 3,
  sync = 'full',
  base,
  log = () => {},
}) {
  const names = Array.from({ length: services }, (_, i) => `svc-${i}`);
  const roster = await startFanoutRoster({ base, sync });
  let etcdProc;
  const control = httpPool(roster.url, 256);
  const closers = [];
  try {
    etcdProc = await startEtcd({ base });
    const etcd = etcdClient(etcdProc.endpoint);
    closers.push(() => etcd.close());
    let port = 20_000;
    const changeRoster = (i) => send(control, 'PUT', '/v1/agent/service/register', registration(names[i], `${names[i]}-0`, port++));
    const changeEtcd = (i) =>
      etcd.kv.put({
        key: Buffer.from(`${etcdPrefix(names[i])}${names[i]}-0`),
        value: Buffer.from(etcdValue(names[i], `${names[i]}-0`, port++)),
      });
    await Promise.all(names.map((_, i) => changeRoster(i)));
    await Promise.all(names.map((_, i) => changeEtcd(i)));
    const notices = new Notices();
    log(`fan-out: ${clients} clients × ${services} services; setting up ${clients} etcd clients × ${services} watchers`);
    const etcdSide = await openEtcd(etcdProc.endpoint, names, clients, notices);
    closers.push(() => etcdSide.close());
    const results = { stream: [], blocking: [], etcd: [] };
    const args = { names, clients, notices, singles, bursts };
    for (let rep = 0; rep < reps; rep++) {
      const order = [
        ['stream', 'blocking', 'etcd'],
        ['blocking', 'etcd', 'stream'],
        ['etcd', 'stream', 'blocking'],
      ][rep % 3];
      for (const way of order) {
        const t = performance.now();
        let r;
        if (way === 'etcd') {
          r = await phase({ ...args, change: changeEtcd, pid: etcdProc.pid, offset: rep });
        } else {
          const side =
            way === 'stream'
              ? await openStreams(roster.url, names, clients, notices)
              : await openBlocking(roster.url, names, clients, notices, control);
          try {
            // Let the set-up settle before measuring.
            await sleep(200);
            r = await phase({ ...args, change: changeRoster, pid: roster.pid, offset: rep });
            r.retried = side.errors?.() ?? 0;
          } finally {
            await side.close();
          }
        }
        results[way].push(r);
        log(
          `fan-out rep ${rep + 1} ${way}: one change → last of ${clients} p50 ${median(r.single).toFixed(1)} ms, p99 ${quantile(r.single, 0.99).toFixed(1)} ms; ` +
            `burst → last of ${clients * services} ${r.burst.map((x) => x.toFixed(0)).join('/')} ms; CPU ${r.cpuPerChangeMs.toFixed(3)} ms/change (${((performance.now() - t) / 1000).toFixed(1)} s)`,
        );
        // Old connections close; their server-side clean-up (10,000 sockets after the blocking
        // way) must not land in the next phase: wait until the servers are quiet (bounded).
        await settle([roster.pid, etcdProc.pid]);
      }
    }
    const summary = {};
    for (const [way, rs] of Object.entries(results)) {
      const single = rs.flatMap((r) => r.single);
      const burst = rs.flatMap((r) => r.burst);
      summary[way] = {
        singleP50: median(single),
        singleP99: quantile(single, 0.99),
        burstP50: median(burst),
        burstP99: quantile(burst, 0.99),
        cpuPerChangeMs: median(rs.map((r) => r.cpuPerChangeMs)),
        samples: { single: single.length, burst: burst.length },
        retried: rs.reduce((n, r) => n + (r.retried ?? 0), 0),
      };
    }
    // The blocking path's own cost: CPU to answer 1,000 woken queries vs the bare Node floor.
    const bare = await startBare();
    try {
      summary.wakeCpu = await measureWakeCpu({ rosterUrl: roster.url, rosterPid: roster.pid, bareUrl: bare.url, barePid: bare.pid });
      log(`wake CPU: roster ${summary.wakeCpu.roster.toFixed(1)} ms, bare ${summary.wakeCpu.bare.toFixed(1)} ms per 1,000 answers`);
    } finally {
      await bare.stop();
    }
    return { clients, services, reps, singles, bursts, sync, ...summary };
  } finally {
    for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => {});
    await control.destroy().catch(() => {});
    await etcdProc?.stop();
    await roster.stop();
  }
}
