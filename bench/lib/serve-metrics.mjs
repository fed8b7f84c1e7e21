// The measurements (a)–(d) and (f) of bench/serve.bench.mjs. Each runs `reps` repetitions; in
// each repetition every contender runs once, in an order rotated from one repetition to the next
// (or op by op, alternating, for latencies), so slow phases of the shared machine hit all sides.
// Every loop is bounded in count and in time.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import { etcdClient, etcdPrefix, etcdRegister, etcdValue, httpPool, keepAliveStream, registration, send } from './clients.mjs';
import { markEnd, marked, markStart } from './cpuprofile.mjs';
import { closedLoop, forEachLimited } from './load.mjs';
import { cpuMs, cpuPreciseMs } from './procs.mjs';
import { median, quantile } from './stats.mjs';

/** `xs` rotated left by `k`: the order of contenders in repetition k. */
const rotate = (xs, k) => xs.map((_, i) => xs[(i + k) % xs.length]);

/** Median over repetitions of each field, plus the per-repetition values. */
function summarize(reps, fields) {
  const out = { reps };
  for (const f of fields) out[f] = median(reps.map((r) => r[f]));
  return out;
}

/** Registers `ids` of `service` on a roster server (bounded concurrency), no checks unless `ttl`. */
export async function rosterBulkRegister(pool, service, ids, { concurrency = 64, timeMs = 60_000, ttl, port = 1000 } = {}) {
  return forEachLimited(ids, concurrency, timeMs, (id, i) =>
    send(pool, 'PUT', '/v1/agent/service/register', registration(service, id, port + (i % 50_000), ttl)),
  );
}

/** Puts one key per id under the service's prefix in etcd (no lease). */
export async function etcdBulkPut(etcd, service, ids, { concurrency = 64, timeMs = 60_000, port = 1000 } = {}) {
  return forEachLimited(ids, concurrency, timeMs, (id, i) =>
    etcd.kv.put({ key: Buffer.from(etcdPrefix(service) + id), value: Buffer.from(etcdValue(service, id, port + (i % 50_000))) }),
  );
}

/** The `roster_blocking_queries_held` gauge of a roster server. */
async function heldQueries(pool) {
  const { body } = await send(pool, 'GET', '/v1/agent/metrics?format=prometheus');
  const m = /^roster_blocking_queries_held (\d+)/m.exec(body.toString());
  return m ? Number(m[1]) : 0;
}

/** Waits (bounded) until at least `n` blocking queries are held. */
async function waitHeld(pool, n, limitMs = 15_000) {
  const deadline = performance.now() + limitMs;
  await sleep(2);
  for (;;) {
    const held = await heldQueries(pool);
    if (held >= n) return;
    if (performance.now() > deadline) throw new Error(`only ${held} of ${n} blocking queries held after ${limitMs} ms`);
    await sleep(held === 0 ? 2 : 10);
  }
}

const indexOf = (res) => Number(res.headers['x-consul-index']);

// ---------------------------------------------------------------------------------------------
// (a) registrations per second with a durable ack
// ---------------------------------------------------------------------------------------------

/**
 * Registrations/s at each concurrency: roster (`--sync full` and `--sync normal`) registering an
 * instance with a TTL check (`PUT /v1/agent/service/register`) vs etcd lease grant + put with the
 * lease. Each repetition registers fresh IDs and removes them afterwards (untimed).
 */
export async function measureRegistrations(
  env,
  { reps, concurrencies = [1, 64], counts = { 1: 1000, 64: 8000 }, warmup = { 64: 3000, 1: 5000 }, timeMs = 15_000, log },
) {
  let serial = 0;
  const rosterSide = (name, pool, pid) => ({
    name,
    async run(c, n) {
      const ids = [];
      const cpu0 = cpuPreciseMs(pid);
      const r = await marked(`(a) registrations, ${c} client(s), ${name}`, () =>
        closedLoop({
          concurrency: c,
          count: n,
          timeMs,
          op: async () => {
            const id = `reg-${serial++}`;
            await send(pool, 'PUT', '/v1/agent/service/register', registration('bench-reg', id, 2000 + (serial % 50_000), '10m'));
            ids.push(id);
          },
        }),
      );
      r.cpuUs = ((cpuPreciseMs(pid) - cpu0) * 1000) / r.done;
      await forEachLimited(ids, 64, 60_000, (id) => send(pool, 'PUT', `/v1/agent/service/deregister/${id}`));
      return r;
    },
  });
  const etcdSide = {
    name: 'etcd',
    async run(c, n) {
      const leases = [];
      const cpu0 = cpuPreciseMs(env.etcdPid);
      const r = await closedLoop({
        concurrency: c,
        count: n,
        timeMs,
        op: async () => {
          const id = `reg-${serial++}`;
          leases.push(await etcdRegister(env.etcd, 'bench-reg', id, 2000 + (serial % 50_000), 600));
        },
      });
      r.cpuUs = ((cpuPreciseMs(env.etcdPid) - cpu0) * 1000) / r.done;
      await forEachLimited(leases, 64, 60_000, (ID) => env.etcd.leaseClient.leaseRevoke({ ID }));
      return r;
    },
  };
  /** The floor: the bare Node server's durable ack (write + fdatasync on the pool, group commit). */
  const floorSide = {
    name: 'floor',
    async run(c, n) {
      const cpu0 = cpuPreciseMs(env.barePid);
      const r = await closedLoop({
        concurrency: c,
        count: n,
        timeMs,
        op: () => send(env.bare, 'PUT', '/durable', registration('bench-reg', `reg-${serial++}`, 2000 + (serial % 50_000), '10m')),
      });
      r.cpuUs = ((cpuPreciseMs(env.barePid) - cpu0) * 1000) / r.done;
      return r;
    },
  };
  const sides = [rosterSide('full', env.full, env.fullPid), rosterSide('normal', env.normal, env.normalPid), etcdSide, floorSide];
  // Warm-up (untimed): JIT, connections, SQLite and etcd caches. Long enough for V8 to have
  // optimized the registration path at both concurrencies: after only 300 registrations roster
  // serve still spent ~2.5x the CPU per 1-client registration it spends once warm (D160), and
  // after 300 at 1 client and 3,000 at 64 its first three or four 1-client windows of 1,000 were
  // still compiling (D192).
  for (const side of sides) for (const [c, n] of Object.entries(warmup)) await side.run(Number(c), n);
  const out = {};
  for (const c of concurrencies) {
    const reps_ = [];
    for (let rep = 0; rep < reps; rep++) {
      const r = {};
      for (const side of rotate(sides, rep)) {
        const res = await side.run(c, counts[c]);
        r[side.name] = res.perSecond;
        r[`${side.name}Cpu`] = res.cpuUs;
        r[`${side.name}Done`] = res.done;
      }
      r.ratioFull = r.full / r.etcd;
      r.ratioNormal = r.normal / r.etcd;
      r.ratioFloor = r.floor / r.etcd;
      log(
        `(a) c=${c} rep ${rep + 1}: full ${r.full.toFixed(0)}/s, normal ${r.normal.toFixed(0)}/s, etcd ${r.etcd.toFixed(0)}/s, bare durable floor ${r.floor.toFixed(0)}/s; server CPU/op ${r.fullCpu.toFixed(0)}, ${r.normalCpu.toFixed(0)}, ${r.etcdCpu.toFixed(0)}, ${r.floorCpu.toFixed(0)} µs`,
      );
      reps_.push(r);
    }
    out[c] = summarize(reps_, [
      'full',
      'normal',
      'etcd',
      'floor',
      'ratioFull',
      'ratioNormal',
      'ratioFloor',
      'fullCpu',
      'normalCpu',
      'etcdCpu',
      'floorCpu',
    ]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// (b) reading a 1,000-instance service
// ---------------------------------------------------------------------------------------------

/**
 * A reader of `path` that asks for gzip (`Accept-Encoding: gzip`, as Go clients, Prometheus and
 * python-consul do): `ms` until the compressed body is read; `inflatedMs` adds the client's
 * gunzip of it (what a Go client pays before decoding); `bytes` as sent.
 */
export function gzipReader(pool, path) {
  return async () => {
    const t0 = performance.now();
    const res = await pool.request({ method: 'GET', path, headers: { 'accept-encoding': 'gzip' } });
    const body = Buffer.from(await res.body.arrayBuffer());
    const ms = performance.now() - t0;
    if (res.statusCode !== 200 || res.headers['content-encoding'] !== 'gzip') {
      throw new Error(`GET ${path} with gzip: HTTP ${res.statusCode}, content-encoding ${res.headers['content-encoding']}`);
    }
    gunzipSync(body);
    return { ms, inflatedMs: performance.now() - t0, bytes: body.length };
  };
}

/**
 * p50/p99 of `GET /v1/health/service/big` (1,000 instances, body read) vs etcd3 prefix get of
 * the 1,000 keys (values as Buffers). Op by op alternating. Also, for information, the same read
 * right after a change of the service (roster's encoded-answer cache is then invalid). Every
 * reader first runs `warmup` untimed rounds (default 2,000: with 50, the HTTP readers' times fell
 * by 20–25 % over the first 750 timed rounds as the bench's own client code warmed up, while
 * etcd's stayed where it was, D191).
 */
export async function measureBigRead(env, { reps, instances = 1000, ops = 200, warmup = 2000, afterChangeOps = 60, log }) {
  const ids = Array.from({ length: instances }, (_, i) => `big-${i}`);
  if ((await rosterBulkRegister(env.full, 'big', ids)) !== instances) throw new Error('could not register the big service');
  if ((await etcdBulkPut(env.etcd, 'big', ids)) !== instances) throw new Error('could not put the big service');
  let readLabel = '(b) read, cached answer';
  const rosterRead = async () => {
    const m = markStart();
    const t0 = performance.now();
    const res = await send(env.full, 'GET', '/v1/health/service/big');
    const ms = performance.now() - t0;
    markEnd(readLabel, m);
    return { ms, bytes: res.body.length };
  };
  const etcdRead = async () => {
    const t0 = performance.now();
    const kvs = await env.etcd.getAll().prefix(etcdPrefix('big')).buffers();
    const ms = performance.now() - t0;
    return { ms, count: Object.keys(kvs).length, bytes: Object.values(kvs).reduce((n, b) => n + b.length, 0) };
  };
  let port = 30_000;
  const rosterChange = () => send(env.full, 'PUT', '/v1/agent/service/register', registration('big', 'big-0', port++));
  const rosterOtherChange = () => send(env.full, 'PUT', '/v1/agent/service/register', registration('big-other', 'other-0', port++));
  const etcdChange = () => env.etcd.put(`${etcdPrefix('big')}big-0`).value(etcdValue('big', 'big-0', port++));

  const first = await rosterRead();
  const firstEtcd = await etcdRead();
  /** The floor: the bare Node server sending as many bytes as roster's answer. */
  const bareRead = async () => {
    const t0 = performance.now();
    await send(env.bare, 'GET', `/bytes?n=${first.bytes}`);
    return { ms: performance.now() - t0 };
  };
  if (firstEtcd.count !== instances) throw new Error(`etcd prefix get returned ${firstEtcd.count} keys`);
  const gzipRead = gzipReader(env.full, '/v1/health/service/big');
  const firstGzip = await gzipRead();
  /** The floor of the gzip read: the bare Node server sending as many bytes as the compressed answer. */
  const bareGzipRead = async () => {
    const t0 = performance.now();
    await send(env.bare, 'GET', `/bytes?n=${firstGzip.bytes}`);
    return { ms: performance.now() - t0 };
  };
  for (let i = 0; i < warmup; i++) {
    await rosterRead();
    await etcdRead();
    await bareRead();
    await gzipRead();
    await bareGzipRead();
  }
  const reps_ = [];
  for (let rep = 0; rep < reps; rep++) {
    const samples = { roster: [], etcd: [], bare: [], gzip: [], bareGzip: [] };
    const inflated = [];
    const sides = [
      { name: 'roster', read: rosterRead },
      { name: 'etcd', read: etcdRead },
      { name: 'bare', read: bareRead },
      { name: 'gzip', read: gzipRead },
      { name: 'bareGzip', read: bareGzipRead },
    ];
    for (let i = 0; i < ops; i++) {
      for (const side of rotate(sides, rep + i)) {
        const r = await side.read();
        samples[side.name].push(r.ms);
        if (r.inflatedMs !== undefined) inflated.push(r.inflatedMs);
      }
    }
    const { roster: xs, etcd: ys, bare: zs, gzip: gs, bareGzip: bgs } = samples;
    const cx = [];
    const cy = [];
    // The cached read in the same surroundings as the read right after a change: right after a
    // durable registration of another service (which leaves this answer cached, D184), both
    // preceded by etcd's change and read. The two differ only in whether the answer is cached.
    const cc = [];
    for (let i = 0; i < afterChangeOps; i++) {
      readLabel = '(b) read, cached answer, right after a change of another service';
      await rosterOtherChange();
      cc.push((await rosterRead()).ms);
      await etcdChange();
      cy.push((await etcdRead()).ms);
      readLabel = '(b) read right after a change';
      await rosterChange();
      cx.push((await rosterRead()).ms);
      await etcdChange();
      cy.push((await etcdRead()).ms);
    }
    readLabel = '(b) read, cached answer';
    const r = {
      rosterP50: quantile(xs, 0.5),
      rosterP99: quantile(xs, 0.99),
      etcdP50: quantile(ys, 0.5),
      etcdP99: quantile(ys, 0.99),
      bareP50: quantile(zs, 0.5),
      bareP99: quantile(zs, 0.99),
      changedRosterP50: quantile(cx, 0.5),
      cachedAfterOtherP50: quantile(cc, 0.5),
      changedEtcdP50: quantile(cy, 0.5),
      gzipP50: quantile(gs, 0.5),
      gzipP99: quantile(gs, 0.99),
      gzipInflatedP50: quantile(inflated, 0.5),
      bareGzipP50: quantile(bgs, 0.5),
    };
    r.ratioP50 = r.rosterP50 / r.etcdP50;
    r.ratioChangedCached = r.changedRosterP50 / r.rosterP50;
    r.ratioChangedCachedSame = r.changedRosterP50 / r.cachedAfterOtherP50;
    r.ratioGzipP50 = r.gzipP50 / r.etcdP50;
    r.ratioGzipInflatedP50 = r.gzipInflatedP50 / r.etcdP50;
    r.ratioBareGzipP50 = r.bareGzipP50 / r.etcdP50;
    r.ratioP99 = r.rosterP99 / r.etcdP99;
    r.ratioChanged = r.changedRosterP50 / r.changedEtcdP50;
    log(
      `(b) rep ${rep + 1}: roster p50 ${r.rosterP50.toFixed(2)} p99 ${r.rosterP99.toFixed(2)} ms, etcd p50 ${r.etcdP50.toFixed(2)} p99 ${r.etcdP99.toFixed(2)} ms; after a change roster ${r.changedRosterP50.toFixed(2)} (cached, after a change of another service ${r.cachedAfterOtherP50.toFixed(2)}) etcd ${r.changedEtcdP50.toFixed(2)} ms; gzip p50 ${r.gzipP50.toFixed(2)} ms (${r.gzipInflatedP50.toFixed(2)} ms inflated; bare Node sending as many bytes ${r.bareGzipP50.toFixed(2)} ms)`,
    );
    reps_.push(r);
  }
  return {
    ...summarize(reps_, [
      'rosterP50',
      'rosterP99',
      'etcdP50',
      'etcdP99',
      'bareP50',
      'bareP99',
      'changedRosterP50',
      'changedEtcdP50',
      'ratioP50',
      'ratioP99',
      'ratioChanged',
      'gzipP50',
      'gzipP99',
      'gzipInflatedP50',
      'ratioChangedCached',
      'cachedAfterOtherP50',
      'ratioChangedCachedSame',
      'ratioGzipP50',
      'ratioGzipInflatedP50',
      'bareGzipP50',
      'ratioBareGzipP50',
    ]),
    gzipBytes: firstGzip.bytes,
    rosterBytes: first.bytes,
    etcdBytes: firstEtcd.bytes,
  };
}

// ---------------------------------------------------------------------------------------------
// (c) change → woken blocked query / watch event
// ---------------------------------------------------------------------------------------------

/**
 * One held `GET /v1/health/service/watch?index=N` vs one etcd prefix watcher: time from issuing
 * the change (re-registration with a new port / put of the key; durable on both sides) until the
 * blocked query has answered (body read) / the watcher emitted 'put'. Op by op alternating.
 * Then 1,000 held queries vs 1,000 watchers: time until the last of them has it, per change,
 * after `warmupRounds` untimed rounds of every side (default 40: after one, roster serve's V8
 * was still compiling its wake path in the timed rounds, ~9 ms of CPU per round on other threads
 * that took a core from the reader; D192).
 */
export async function measureWake(env, { reps, ops = 40, holders = 1000, rounds = 8, warmupRounds = 40, etcdClients = 20, log }) {
  let port = 40_000;
  const changeRoster = (service) => send(env.full, 'PUT', '/v1/agent/service/register', registration(service, `${service}-0`, port++));
  // (the 'watch' service of each roster server is created by rosterWaiter below)
  const changeEtcd = (service) =>
    env.etcd.kv.put({
      key: Buffer.from(`${etcdPrefix(service)}${service}-0`),
      value: Buffer.from(etcdValue(service, `${service}-0`, port++)),
    });
  await changeRoster('watchmany');
  for (const s of ['watch', 'watchmany']) await changeEtcd(s);

  // --- one waiter ---
  const changeOn = (pool, service) => send(pool, 'PUT', '/v1/agent/service/register', registration(service, `${service}-0`, port++));
  /** One held query on `pool`'s server, woken by a change on the same server. */
  const rosterWaiter = async (pool) => {
    await changeOn(pool, 'watch');
    let index = indexOf(await send(pool, 'GET', '/v1/health/service/watch'));
    return async () => {
      const held = send(pool, 'GET', `/v1/health/service/watch?index=${index}&wait=60s`);
      await waitHeld(pool, 1);
      await sleep(5);
      const m = markStart();
      const t0 = performance.now();
      const write = changeOn(pool, 'watch');
      const res = await held;
      const ms = performance.now() - t0;
      markEnd('(c) one waiter: change → answer', m);
      await write;
      if (indexOf(res) <= index) throw new Error('blocking query answered without a newer index');
      index = indexOf(res);
      return ms;
    };
  };
  let resolveWatch;
  const watcher = await env.etcd.watch().prefix(etcdPrefix('watch')).create();
  watcher.on('put', () => resolveWatch?.(performance.now()));
  const etcdOnce = async () => {
    await sleep(5);
    const got = new Promise((resolve) => (resolveWatch = resolve));
    const t0 = performance.now();
    const write = changeEtcd('watch');
    const t1 = await Promise.race([got, sleep(10_000).then(() => Number.NaN)]);
    await write;
    if (Number.isNaN(t1)) throw new Error('etcd watch event did not come within 10 s');
    return t1 - t0;
  };
  const sides = [
    { name: 'roster', once: await rosterWaiter(env.full) },
    ...(env.normal && env.normal !== env.full ? [{ name: 'normal', once: await rosterWaiter(env.normal) }] : []),
    { name: 'etcd', once: etcdOnce },
  ];
  for (let i = 0; i < 10; i++) for (const side of sides) await side.once();
  const single = [];
  for (let rep = 0; rep < reps; rep++) {
    const xs = Object.fromEntries(sides.map((side) => [side.name, []]));
    for (let i = 0; i < ops; i++) for (const side of rotate(sides, rep + i)) xs[side.name].push(await side.once());
    const r = Object.fromEntries(sides.map((side) => [side.name, median(xs[side.name])]));
    r.ratio = r.roster / r.etcd;
    r.ratioNormal = r.normal === undefined ? Number.NaN : r.normal / r.etcd;
    log(`(c) one waiter rep ${rep + 1}: ${sides.map((side) => `${side.name} ${r[side.name].toFixed(2)} ms`).join(', ')}`);
    single.push(r);
  }
  await watcher.cancel();

  // --- 1,000 waiters ---
  const holdPool = httpPool(env.fullUrl, holders + 8);
  const normalHoldPool = env.normal && env.normal !== env.full ? httpPool(env.normalUrl, holders + 8) : undefined;
  const bareHoldPool = httpPool(env.bareUrl, holders + 8);
  const clients = Array.from({ length: etcdClients }, () => etcdClient(env.etcdEndpoint));
  const watchers = [];
  try {
    /** Rounds of `holders` queries held on one roster server, woken by one change there. */
    const rosterRounds = async (pool, hold, label) => {
      await changeOn(pool, 'watchmany');
      let manyIndex = indexOf(await send(pool, 'GET', '/v1/health/service/watchmany'));
      return async () => {
        const m0 = markStart();
        const pending = Array.from({ length: holders }, () =>
          send(hold, 'GET', `/v1/health/service/watchmany?index=${manyIndex}&wait=60s`).then((res) => ({ res, at: performance.now() })),
        );
        await waitHeld(pool, holders);
        markEnd(`(c) ${holders} waiters${label}: sending and holding them`, m0);
        await sleep(20);
        const m1 = markStart();
        const t0 = performance.now();
        await changeOn(pool, 'watchmany');
        const done = await Promise.all(pending);
        markEnd(`(c) ${holders} waiters${label}: change → last answer`, m1);
        const times = done.map((d) => d.at - t0);
        manyIndex = Math.max(...done.map((d) => indexOf(d.res)));
        return { last: Math.max(...times), p50: median(times), bytes: done[0].res.body.length };
      };
    };
    const rosterRound = await rosterRounds(env.full, holdPool, '');
    const normalRound = normalHoldPool ? await rosterRounds(env.normal, normalHoldPool, ' (--sync normal)') : undefined;
    // The size of roster's answer, for the floor that sends the same bytes.
    const likeBytes = (await send(env.full, 'GET', '/v1/health/service/watchmany')).body.length;
    let arrived = [];
    let onArrive;
    for (let i = 0; i < holders; i++) {
      const w = await clients[i % etcdClients].watch().prefix(etcdPrefix('watchmany')).create();
      w.on('put', () => {
        arrived.push(performance.now());
        if (arrived.length === holders) onArrive?.();
      });
      watchers.push(w);
    }
    const etcdRound = async () => {
      arrived = [];
      await sleep(20);
      const all = new Promise((resolve) => (onArrive = resolve));
      const t0 = performance.now();
      await changeEtcd('watchmany');
      const ok = await Promise.race([all.then(() => true), sleep(15_000).then(() => false)]);
      if (!ok) throw new Error(`only ${arrived.length} of ${holders} etcd watchers got the event within 15 s`);
      const times = arrived.map((t) => t - t0);
      return { last: Math.max(...times), p50: median(times) };
    };
    /**
     * The floor: the bare Node server answering as many held requests at once — with hello world,
     * or (`like`) with roster's header list and as many body bytes as roster's answer.
     */
    const bareRounds = (like) => async () => {
      const path = like ? `/hold?like=${likeBytes}` : '/hold';
      const pending = Array.from({ length: holders }, () => send(bareHoldPool, 'GET', path).then(() => performance.now()));
      const deadline = performance.now() + 15_000;
      while (Number((await send(env.bare, 'GET', '/held')).body.toString()) < holders) {
        if (performance.now() > deadline) throw new Error('the bare server did not hold every request');
        await sleep(5);
      }
      await sleep(20);
      const t0 = performance.now();
      await send(env.bare, 'POST', '/release');
      const times = (await Promise.all(pending)).map((at) => at - t0);
      return { last: Math.max(...times), p50: median(times) };
    };
    const roundSides = [
      { name: 'roster', round: rosterRound },
      ...(normalRound ? [{ name: 'normal', round: normalRound }] : []),
      { name: 'etcd', round: etcdRound },
      { name: 'bare', round: bareRounds(false) },
      { name: 'bareSame', round: bareRounds(true) },
    ];
    for (let i = 0; i < Math.max(1, warmupRounds); i++) for (const side of roundSides) await side.round();
    const many = [];
    for (let rep = 0; rep < reps; rep++) {
      const samples = Object.fromEntries(roundSides.map((side) => [side.name, []]));
      for (let i = 0; i < rounds; i++) for (const side of rotate(roundSides, rep + i)) samples[side.name].push(await side.round());
      const { roster: xs, etcd: ys, bare: zs, bareSame: ss, normal: ns = [] } = samples;
      const p50Of = (rs) =>
        quantile(
          rs.map((x) => x.last),
          0.5,
        );
      const r = {
        rosterLastP50: quantile(
          xs.map((x) => x.last),
          0.5,
        ),
        rosterLastP99: quantile(
          xs.map((x) => x.last),
          0.99,
        ),
        etcdLastP50: quantile(
          ys.map((y) => y.last),
          0.5,
        ),
        etcdLastP99: quantile(
          ys.map((y) => y.last),
          0.99,
        ),
        bareLastP50: quantile(
          zs.map((z) => z.last),
          0.5,
        ),
        bareLastP99: quantile(
          zs.map((z) => z.last),
          0.99,
        ),
        bareSameLastP50: p50Of(ss),
        normalLastP50: ns.length > 0 ? p50Of(ns) : Number.NaN,
        rosterAllLast: xs.map((x) => x.last),
        etcdAllLast: ys.map((y) => y.last),
      };
      r.ratioLastP99 = r.rosterLastP99 / r.etcdLastP99;
      // The issue's goal: last woken p50 ≤ 1.1× the bare Node floor (per repetition, then the median).
      r.ratioBareP50 = r.rosterLastP50 / r.bareLastP50;
      r.ratioBareSameP50 = r.rosterLastP50 / r.bareSameLastP50;
      r.ratioNormalBareP50 = r.normalLastP50 / r.bareLastP50;
      log(
        `(c) ${holders} waiters rep ${rep + 1}: last woken roster p50 ${r.rosterLastP50.toFixed(1)} p99 ${r.rosterLastP99.toFixed(1)} ms${ns.length > 0 ? ` (--sync normal p50 ${r.normalLastP50.toFixed(1)} ms)` : ''}, etcd p50 ${r.etcdLastP50.toFixed(1)} p99 ${r.etcdLastP99.toFixed(1)} ms, bare p50 ${r.bareLastP50.toFixed(1)} p99 ${r.bareLastP99.toFixed(1)} ms (same bytes as roster: p50 ${r.bareSameLastP50.toFixed(1)} ms)`,
      );
      many.push(r);
    }
    return {
      single: summarize(single, ['roster', 'normal', 'etcd', 'ratio', 'ratioNormal']),
      many: {
        ...summarize(many, [
          'rosterLastP50',
          'rosterLastP99',
          'etcdLastP50',
          'etcdLastP99',
          'bareLastP50',
          'bareLastP99',
          'bareSameLastP50',
          'normalLastP50',
          'ratioLastP99',
          'ratioBareP50',
          'ratioBareSameP50',
          'ratioNormalBareP50',
        ]),
        likeBytes,
        rosterPooledP99: quantile(
          many.flatMap((r) => r.rosterAllLast),
          0.99,
        ),
        etcdPooledP99: quantile(
          many.flatMap((r) => r.etcdAllLast),
          0.99,
        ),
        rounds: rounds * reps,
      },
      holders,
      etcdClients,
    };
  } finally {
    await Promise.allSettled(watchers.map((w) => w.cancel()));
    for (const c of clients) c.close();
    await holdPool.destroy();
    await normalHoldPool?.destroy();
    await bareHoldPool.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// (d) TTL renewals per second
// ---------------------------------------------------------------------------------------------

/**
 * `PUT /v1/agent/check/pass/<id>` on 64 TTL checks (status unchanged: no store write) vs etcd
 * lease keepalives (64 long-lived LeaseKeepAlive streams, one keepalive in flight on each) vs
 * `PUT /` on the bare Node server; 64 concurrent clients each.
 */
export async function measureRenewals(env, { reps, concurrency = 64, count = 10_000, timeMs = 4000, warmup = 2000, log }) {
  const ids = Array.from({ length: concurrency }, (_, i) => `ttl-${i}`);
  await rosterBulkRegister(env.full, 'bench-ttl', ids, { ttl: '10m' });
  for (const id of ids) await send(env.full, 'PUT', `/v1/agent/check/pass/${id}:ttl`);
  const leases = [];
  const streams = [];
  for (const id of ids) leases.push(await etcdRegister(env.etcd, 'bench-ttl', id, 3000, 600));
  for (let i = 0; i < concurrency; i++) streams.push(await keepAliveStream(env.etcd));
  try {
    const sides = [
      { name: 'roster', pid: env.fullPid, op: (i, w) => send(env.full, 'PUT', `/v1/agent/check/pass/ttl-${w}:ttl`) },
      { name: 'etcd', pid: env.etcdPid, op: (i, w) => streams[w].once(leases[w]) },
      { name: 'bare', pid: env.barePid, op: () => send(env.bare, 'PUT', '/') },
      { name: 'fastify', pid: env.fastifyPid, op: () => send(env.fastify, 'PUT', '/') },
    ];
    for (const side of sides) await closedLoop({ concurrency, count: warmup, timeMs, op: side.op });
    const reps_ = [];
    for (let rep = 0; rep < reps; rep++) {
      const r = {};
      for (const side of rotate(sides, rep)) {
        const cpu0 = cpuPreciseMs(side.pid);
        const x = await marked(`(d) renewals, ${side.name}`, () => closedLoop({ concurrency, count, timeMs, op: side.op }));
        r[side.name] = x.perSecond;
        r[`${side.name}Cpu`] = ((cpuPreciseMs(side.pid) - cpu0) * 1000) / x.done;
      }
      r.ratioEtcd = r.roster / r.etcd;
      r.ratioBare = r.roster / r.bare;
      r.fastifyRatioBare = r.fastify / r.bare;
      log(
        `(d) rep ${rep + 1}: roster ${r.roster.toFixed(0)}/s, etcd ${r.etcd.toFixed(0)}/s, bare ${r.bare.toFixed(0)}/s, fastify ${r.fastify.toFixed(0)}/s; server CPU/op ${r.rosterCpu.toFixed(1)}, ${r.etcdCpu.toFixed(1)}, ${r.bareCpu.toFixed(1)}, ${r.fastifyCpu.toFixed(1)} µs`,
      );
      reps_.push(r);
    }
    return summarize(reps_, [
      'roster',
      'etcd',
      'bare',
      'fastify',
      'ratioEtcd',
      'ratioBare',
      'fastifyRatioBare',
      'rosterCpu',
      'etcdCpu',
      'bareCpu',
      'fastifyCpu',
    ]);
  } finally {
    for (const s of streams) s.end();
  }
}

// ---------------------------------------------------------------------------------------------
// (f) CPU per small read
// ---------------------------------------------------------------------------------------------

/**
 * CPU time of the server process (utime + stime from /proc/<pid>/stat, all threads) per request
 * over `count` requests at `concurrency`: roster `GET /v1/status/leader` (and, for information,
 * `GET /v1/health/service/small`, one instance) vs the bare server's `GET /`.
 */
export async function measureCpu(env, { reps, concurrency = 16, count = 10_000, timeMs = 8000, warmup = 2000, log }) {
  const sides = [
    { name: 'leader', pool: env.full, pid: env.fullPid, path: '/v1/status/leader' },
    { name: 'health', pool: env.full, pid: env.fullPid, path: '/v1/health/service/small' },
    { name: 'bare', pool: env.bare, pid: env.barePid, path: '/' },
    { name: 'fastify', pool: env.fastify, pid: env.fastifyPid, path: '/' },
  ];
  const run = async (side, n) => {
    const before = cpuPreciseMs(side.pid);
    const beforeTicks = cpuMs(side.pid);
    const r = await marked(`(f) GET ${side.path}`, () =>
      closedLoop({ concurrency, count: n, timeMs, op: () => send(side.pool, 'GET', side.path) }),
    );
    const cpu = cpuPreciseMs(side.pid) - before;
    const ticks = cpuMs(side.pid) - beforeTicks;
    return { usPerReq: (cpu * 1000) / r.done, usPerReqTicks: (ticks * 1000) / r.done, perSecond: r.perSecond, cpuMs: cpu };
  };
  await send(env.full, 'PUT', '/v1/agent/service/register', registration('small', 'small-0', 5000));
  for (const side of sides) await run(side, warmup);
  const reps_ = [];
  for (let rep = 0; rep < reps; rep++) {
    const r = {};
    for (const side of rotate(sides, rep)) {
      const x = await run(side, count);
      r[side.name] = x.usPerReq;
      r[`${side.name}Ticks`] = x.usPerReqTicks;
      r[`${side.name}Rate`] = x.perSecond;
    }
    r.ratioLeader = r.leader / r.bare;
    r.ratioHealth = r.health / r.bare;
    r.ratioLeaderTicks = r.leaderTicks / r.bareTicks;
    r.ratioFastify = r.fastify / r.bare;
    log(
      `(f) rep ${rep + 1}: roster leader ${r.leader.toFixed(1)} µs, health ${r.health.toFixed(1)} µs, bare ${r.bare.toFixed(1)} µs, fastify ${r.fastify.toFixed(1)} µs CPU/request`,
    );
    reps_.push(r);
  }
  return summarize(reps_, [
    'leader',
    'health',
    'bare',
    'fastify',
    'leaderRate',
    'healthRate',
    'bareRate',
    'fastifyRate',
    'ratioLeader',
    'ratioHealth',
    'ratioLeaderTicks',
    'ratioFastify',
  ]);
}
