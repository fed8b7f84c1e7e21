#!/usr/bin/env node
// dns.bench.mjs: roster serve's DNS interface (issue 16). Queries per second and p99 latency of
// an SRV query for a service of 100 instances, over UDP on loopback, against a minimal dns-packet
// UDP server that decodes each query and encodes the same fixed answer (bench/lib/dns-floor-server.mjs):
// the floor on this machine. Same run: both servers loaded at once, medians over repetitions.       target ≥ 0.7× the floor
//
//   SRV, EDNS0 16 KiB buffer: all 100 SRV records and their 100 glue records (~11 KB reply)
//   SRV, EDNS0 1,232 bytes (dig's default): cut to what fits, TC set
//   A, no EDNS0: 3 records (Consul's UDP answer limit), TC set
//
// Both servers are child processes (roster serve through the CLI, with --dns-rate-limit 0 so the
// per-address limit does not cap a single load client); the load client is this process: a
// closed loop of C outstanding queries per server, one UDP socket each, matched by ID, bounded in count and
// time. Every process started is stopped.
//
// Also the CPU time each server process spends per query (/proc/<pid>/task/*/schedstat): on a
// shared, loaded machine q/s depends on who gets scheduled; CPU per query does much less.
//
// Run:  npm run bench -- dns      Options: --reps N (default 5)  --quick  --concurrency C (default 16)
//       --profile (roster serve under node --cpu-prof; prints where its CPU time goes)
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { profileTables, summarizeProfile } from './lib/cpuprofile.mjs';
import { cpuPreciseMs } from './lib/procs.mjs';
import { fmt, fmtRatio, median, quantile, table } from './lib/stats.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const require = createRequire(join(root, 'packages/server/package.json'));
const dnsPacket = require('dns-packet');

const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
};
const quick = argv.includes('--quick');
const reps = Number(opt('reps', quick ? 2 : 9));
const concurrency = Number(opt('concurrency', 16));
const COUNT = quick ? 50_000 : 200_000; // high enough that the time limit ends both loads together
const TIME_MS = quick ? 2_000 : 3_000;
const WARMUP = quick ? 1_000 : 5_000;
const INSTANCES = 100;
const log = (line) => console.error(line);

const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
// Interrupted: exit through the 'exit' handler, which stops the servers.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

/** Spawns a child and resolves with the first match of `pattern` in its stdout (all groups). */
function start(name, args, pattern, stdin) {
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  if (stdin !== undefined) child.stdin.end(stdin);
  else child.stdin.end();
  let out = '';
  const started = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start: ${out}`)), 30_000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = pattern.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}): ${out}`)));
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  return { started, stop, child };
}

function query(id, name, type, udpPayloadSize) {
  return dnsPacket.encode({
    id,
    type: 'query',
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type }],
    additionals: udpPayloadSize
      ? [{ type: 'OPT', name: '.', udpPayloadSize, extendedRcode: 0, ednsVersion: 0, flags: 0, options: [] }]
      : [],
  });
}

/** One query and its decoded reply. */
function once(port, packet) {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('no reply'));
    }, 5000);
    socket.on('message', (reply) => {
      clearTimeout(timer);
      socket.close();
      resolve(dnsPacket.decode(reply));
    });
    socket.send(packet, port, '127.0.0.1');
  });
}

/**
 * Closed loop over one UDP socket: `concurrency` queries outstanding, each re-sent under a fresh
 * ID when answered; stops after `count` answers or `timeMs`. A query unanswered for 1 s is counted
 * lost and replaced. Returns answers/s and latencies (ms).
 */
function load(port, make, { count, timeMs }) {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const sentAt = new Map();
    const latencies = [];
    let nextId = 1;
    let lost = 0;
    let bytes = 0;
    const t0 = performance.now();
    const send = () => {
      const id = nextId;
      nextId = nextId === 65_535 ? 1 : nextId + 1;
      sentAt.set(id, performance.now());
      socket.send(make(id), port, '127.0.0.1');
    };
    const sweep = setInterval(() => {
      const now = performance.now();
      for (const [id, at] of sentAt) {
        if (now - at > 1000) {
          sentAt.delete(id);
          lost++;
          send();
        }
      }
    }, 250);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearInterval(sweep);
      clearTimeout(deadline);
      const seconds = (performance.now() - t0) / 1000;
      socket.close();
      resolve({ qps: latencies.length / seconds, latencies, lost, bytes: bytes / Math.max(1, latencies.length) });
    };
    const deadline = setTimeout(finish, timeMs);
    socket.on('message', (reply) => {
      const id = reply.readUInt16BE(0);
      const at = sentAt.get(id);
      if (at === undefined) return;
      sentAt.delete(id);
      latencies.push(performance.now() - at);
      bytes += reply.length;
      if (latencies.length >= count) return finish();
      send();
    });
    socket.bind(0, '127.0.0.1', () => {
      try {
        socket.setRecvBufferSize(8 * 2 ** 20); // fewer replies lost to a full buffer (capped by rmem_max)
      } catch {
        // keep the default
      }
      for (let i = 0; i < concurrency; i++) send();
    });
  });
}

const base = mkdtempSync(join(os.tmpdir(), 'roster-bench-dns-'));
const profileDir = argv.includes('--profile') ? join(base, 'profile') : undefined;
const roster = start(
  'roster serve',
  [
    ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
    join(root, 'packages/cli/dist/bin.js'),
    'serve',
    '--port',
    '0',
    '--dns-port',
    '0',
    '--dns-rate-limit',
    '0',
    '--data-dir',
    join(base, 'data'),
    '--log-level',
    'warn',
    '--sync',
    'normal',
    '--node-name',
    'bench',
  ],
  /listening on (http:\/\/\S+) [\s\S]*DNS on [\d.]+:(\d+)/,
);
let floor;
try {
  const [, url, dnsPortText] = await roster.started;
  const dnsPort = Number(dnsPortText);
  for (let i = 0; i < INSTANCES; i++) {
    const r = await fetch(`${url}/v1/agent/service/register`, {
      method: 'PUT',
      body: JSON.stringify({
        Name: 'web',
        ID: `web-${i}`,
        Address: `127.2.${i >> 8}.${i & 255}`,
        Port: 20_000 + i,
        Check: { TTL: '1h', Status: 'passing' },
      }),
    });
    if (!r.ok) throw new Error(`register: ${r.status} ${await r.text()}`);
  }
  const cases = [
    { label: 'SRV, EDNS0 16 KiB (100 SRV + 100 glue)', name: 'web.service.consul', type: 'SRV', size: 16_384, goal: true },
    { label: 'SRV, EDNS0 1,232 bytes (cut, TC)', name: 'web.service.consul', type: 'SRV', size: 1232 },
    { label: 'A, no EDNS0 (3 records, TC)', name: 'web.service.consul', type: 'A', size: 0 },
  ];
  const results = [];
  for (const c of cases) {
    // The floor answers with exactly what roster answered for this query.
    const sample = await once(dnsPort, query(1, c.name, c.type, c.size));
    if (c.type === 'SRV' && c.size === 16_384 && sample.answers.length !== INSTANCES)
      throw new Error(`expected ${INSTANCES} SRV answers, got ${sample.answers.length}`);
    const fixed = { flags: sample.flags, answers: sample.answers, authorities: sample.authorities, additionals: sample.additionals };
    floor = start('dns floor', [join(here, 'lib/dns-floor-server.mjs')], /listening (\d+)/, JSON.stringify(fixed));
    const floorPort = Number((await floor.started)[1]);
    const make = (id) => query(id, c.name, c.type, c.size);
    await load(dnsPort, make, { count: WARMUP, timeMs: TIME_MS });
    await load(floorPort, make, { count: WARMUP, timeMs: TIME_MS });
    const runs = { roster: [], floor: [] };
    for (let rep = 0; rep < reps; rep++) {
      // Both servers under load at the same time, from the same client: whatever else the
      // machine runs slows both alike, so the ratio compares the servers, not the moments.
      const measured = await Promise.all(
        [
          ['roster', dnsPort, roster],
          ['floor', floorPort, floor],
        ].map(async ([who, port, proc]) => {
          const cpu0 = cpuPreciseMs(proc.child.pid);
          const r = await load(port, make, { count: COUNT, timeMs: TIME_MS });
          r.cpuUs = ((cpuPreciseMs(proc.child.pid) - cpu0) * 1000) / Math.max(1, r.latencies.length);
          return [who, r];
        }),
      );
      for (const [who, r] of measured) {
        runs[who].push(r);
        log(
          `${c.label} rep ${rep + 1} ${who}: ${fmt(r.qps)} q/s, p99 ${fmt(quantile(r.latencies, 0.99))} ms, ${fmt(r.cpuUs)} µs CPU/query, lost ${r.lost}, ${fmt(r.bytes)} B/reply`,
        );
      }
    }
    await floor.stop();
    floor = undefined;
    const summary = (rs) => ({
      qps: median(rs.map((r) => r.qps)),
      p50: median(rs.map((r) => quantile(r.latencies, 0.5))),
      p99: median(rs.map((r) => quantile(r.latencies, 0.99))),
      bytes: median(rs.map((r) => r.bytes)),
      lost: rs.reduce((n, r) => n + r.lost, 0),
      cpuUs: median(rs.map((r) => r.cpuUs)),
    });
    const ours = summary(runs.roster);
    const theirs = summary(runs.floor);
    // Ratio within each repetition (both measured at once), then the median over repetitions.
    const ratio = median(runs.roster.map((r, i) => r.qps / runs.floor[i].qps));
    const cpuRatio = median(runs.floor.map((r, i) => r.cpuUs / runs.roster[i].cpuUs));
    results.push({ c, ours, theirs, ratio, cpuRatio });
  }
  console.log(
    table(
      [
        'query',
        'roster serve q/s',
        'floor q/s',
        'q/s ratio, median of reps (goal ≥ 0.7×)',
        'roster p50 / p99',
        'floor p50 / p99',
        'CPU µs/query roster / floor (floor ÷ roster)',
        'reply bytes',
        'lost',
      ],
      results.map(({ c, ours, theirs, ratio, cpuRatio }) => [
        c.label,
        fmt(ours.qps),
        fmt(theirs.qps),
        `${fmtRatio(ratio)}${c.goal ? (ratio >= 0.7 ? ' ✓' : ' ✗') : ''}`,
        `${fmt(ours.p50)} / ${fmt(ours.p99)} ms`,
        `${fmt(theirs.p50)} / ${fmt(theirs.p99)} ms`,
        `${fmt(ours.cpuUs)} / ${fmt(theirs.cpuUs)} (${fmtRatio(cpuRatio)})`,
        fmt(ours.bytes),
        `${ours.lost} / ${theirs.lost}`,
      ]),
    ),
  );
  console.log(
    `\n${reps} repetitions of ≤ ${COUNT.toLocaleString('en-US')} queries or ${TIME_MS / 1000} s each, ${concurrency} outstanding, medians; load average at the end: ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} on ${os.cpus().length} cores.\n`,
  );
} finally {
  await floor?.stop();
  await roster.stop();
  if (profileDir) {
    const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
    if (file)
      console.log(
        `\nroster serve, CPU by function (self time):\n\n${profileTables(summarizeProfile(JSON.parse(readFileSync(join(profileDir, file), 'utf8')), 20))}\n`,
      );
  }
  rmSync(base, { recursive: true, force: true });
}
