// consul-client.bench.mjs: why the Consul backend talks to Consul with undici directly
// (docs/decisions.md D9). Against one roster serve on loopback, the same two operations through
// roster's Consul backend and through the `consul` npm client (2.x, on papi), interleaved op by
// op, order swapped each repetition, 5 repetitions, median ratio:
//   read   — list one service of 20 instances (GET /v1/health/service/<name>, decoded)
//   renew  — one TTL heartbeat (PUT /v1/agent/check/pass/<id>)
// Run: npm run build && node bench/consul-client.bench.mjs   (or: npm run bench -- consul-client)
// Bounded: 5 repetitions × 300 ops per contender, loopback only; the server is stopped at the end.
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const Consul = require('consul');
const { createServer } = await import(new URL('../packages/server/dist/index.js', import.meta.url).href);
const { consulRegistry } = await import(new URL('../packages/roster/dist/registry/consul/index.js', import.meta.url).href);

const REPS = 5;
const OPS = 300;
const dir = await mkdtemp(join(tmpdir(), 'roster-bench-consul-'));
const server = createServer({ port: 0, dataDir: dir, logLevel: 'silent', sync: 'normal' });
const { url, port } = await server.listen();
const roster = consulRegistry({ url });
const npm = new Consul({ host: '127.0.0.1', port });

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  for (let i = 0; i < 20; i++) await roster.register({ service: 'bench', id: `b-${i}`, address: '127.0.0.1', port: 10_000 + i });
  const lease = await roster.register({ service: 'beat', id: 'beat-1', address: '127.0.0.1', port: 1, ttl: '60s' });
  const checkId = `roster:${lease.instance.id}`;
  const ops = {
    read: {
      roster: () => roster.list('bench'),
      npm: () => npm.health.service({ service: 'bench' }),
    },
    renew: {
      roster: () => lease.setHealth('passing'),
      npm: () => npm.agent.check.pass({ id: checkId }),
    },
  };
  // Warm-up: connections, JIT.
  for (const op of Object.values(ops)) for (let i = 0; i < 100; i++) await Promise.all([op.roster(), op.npm()]);
  const rows = [];
  for (const [name, op] of Object.entries(ops)) {
    const ratios = [];
    const perOp = { roster: [], npm: [] };
    for (let rep = 0; rep < REPS; rep++) {
      const t = { roster: 0, npm: 0 };
      const order = rep % 2 === 0 ? ['roster', 'npm'] : ['npm', 'roster'];
      for (let i = 0; i < OPS; i++) {
        for (const who of order) {
          const start = process.hrtime.bigint();
          await op[who]();
          t[who] += Number(process.hrtime.bigint() - start);
        }
      }
      perOp.roster.push(t.roster / OPS / 1000);
      perOp.npm.push(t.npm / OPS / 1000);
      ratios.push(t.roster / t.npm);
    }
    rows.push(`| ${name} | ${median(perOp.roster).toFixed(0)} µs | ${median(perOp.npm).toFixed(0)} µs | ${median(ratios).toFixed(2)}× |`);
  }
  console.log('| operation | roster Consul backend | `consul` npm client | ratio (median of 5) |');
  console.log('|---|---:|---:|---:|');
  for (const row of rows) console.log(row);
  await lease.deregister();
} finally {
  await roster.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
}
