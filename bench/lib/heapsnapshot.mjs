// Where roster serve's memory goes per instance: takes V8 heap snapshots of a roster serve child
// (node --heapsnapshot-signal) before and after registering instances, and sums the self sizes
// by node type and constructor. Used by `node bench/serve.bench.mjs --profile e`.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { httpPool, send } from './clients.mjs';
import { rssBytes, startRoster } from './procs.mjs';
import { rosterBulkRegister } from './serve-metrics.mjs';

/** Self size by `type name` (objects by constructor) of a .heapsnapshot file. */
export function sizesByConstructor(file) {
  const snap = JSON.parse(readFileSync(file, 'utf8'));
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const [ti, ni, si] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const sizes = new Map();
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + ti]];
    const size = snap.nodes[i + si];
    // Objects are named by their constructor; for the other kinds the name is the content.
    const key = type === 'object' || type === 'closure' || type === 'native' ? `${type} ${snap.strings[snap.nodes[i + ni]]}` : `(${type})`;
    sizes.set(key, (sizes.get(key) ?? 0) + size);
    total += size;
  }
  return { sizes, total };
}

/** The process's heap numbers from roster's Prometheus metrics. */
async function heapMetrics(pool) {
  const text = (await send(pool, 'GET', '/v1/agent/metrics?format=prometheus')).body.toString();
  const get = (name) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? Number.NaN);
  return {
    heapUsed: get('nodejs_heap_size_used_bytes'),
    heapTotal: get('nodejs_heap_size_total_bytes'),
    external: get('nodejs_external_memory_bytes'),
  };
}

/** Signals the child to write a heap snapshot into `dir` and waits (bounded) until it is written. */
async function snapshot(server, pool, dir) {
  const before = new Set(readdirSync(dir));
  process.kill(server.pid, 'SIGUSR2');
  const deadline = Date.now() + 120_000;
  for (;;) {
    const fresh = readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    // Writing the snapshot blocks the child's event loop: an answer afterwards means it is done.
    if (fresh.length > 0) {
      await send(pool, 'GET', '/v1/status/leader');
      return join(dir, fresh[0]);
    }
    if (Date.now() > deadline) throw new Error('no heap snapshot within 120 s');
    await sleep(100);
  }
}

/**
 * Registers `warm` instances (JIT, caches: not per-instance costs), takes a snapshot, registers
 * `instances` more, takes another; returns the marginal per-instance breakdown.
 */
export async function heapPerInstance({ warm = 5000, instances = 20_000, dir, base, log }) {
  const server = await startRoster({
    sync: 'full',
    base,
    name: 'roster (heap)',
    nodeArgs: ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${dir}`],
  });
  const pool = httpPool(server.url, 64);
  try {
    await rosterBulkRegister(
      pool,
      'warm',
      Array.from({ length: warm }, (_, i) => `warm-${i}`),
      { timeMs: 120_000 },
    );
    await sleep(1000);
    const rss0 = rssBytes(server.pid);
    const m0 = await heapMetrics(pool);
    const a = await snapshot(server, pool, dir);
    const done = await rosterBulkRegister(
      pool,
      'mem',
      Array.from({ length: instances }, (_, i) => `mem-${i}`),
      { timeMs: 120_000 },
    );
    log(`(e) heap: ${done} instances registered`);
    await sleep(1000);
    const rss1 = rssBytes(server.pid);
    const m1 = await heapMetrics(pool);
    const b = await snapshot(server, pool, dir);
    const sa = sizesByConstructor(a);
    const sb = sizesByConstructor(b);
    rmSync(a);
    rmSync(b);
    const keys = new Set([...sa.sizes.keys(), ...sb.sizes.keys()]);
    const rows = [...keys]
      .map((k) => [k, (sb.sizes.get(k) ?? 0) - (sa.sizes.get(k) ?? 0)])
      .sort((x, y) => y[1] - x[1])
      .slice(0, 15)
      .map(([k, bytes]) => ({ what: k, perInstance: bytes / done }));
    return {
      warm,
      instances: done,
      rssPerInstance: (rss1 - rss0) / done,
      heapUsedPerInstance: (m1.heapUsed - m0.heapUsed) / done,
      heapTotalPerInstance: (m1.heapTotal - m0.heapTotal) / done,
      externalPerInstance: (m1.external - m0.external) / done,
      liveHeapPerInstance: (sb.total - sa.total) / done,
      rows,
    };
  } finally {
    await pool.destroy();
    await server.stop();
  }
}
