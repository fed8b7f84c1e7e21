#!/usr/bin/env node
// security.bench.mjs: what ACLs and TLS cost. Two roster serve processes in one run: today's
// plain server (no ACLs, plain HTTP) and one started with ACLs (an ACL file, default deny, the
// request's token resolved and the answer filtered) and mutual TLS (--tls-cert-file,
// --tls-key-file, --tls-ca-file, --tls-verify-incoming; openssl-made P-256 certificates). The
// load client is this process: undici pools with keep-alive, as real clients run (the TLS
// client also keeps its sessions for resumption), 16 in flight.
//
// A third server with ACLs only (plain HTTP) separates the two costs. The floor: a bare Node
// `http` and a bare Node `https` server (mutual TLS, same certificates; bench/lib/bare-tls-server.mjs)
// answering each read with the exact bytes the plain roster answered it with, read the same way
// in the same run: bare https ÷ bare http is what Node's own TLS stream costs per small read, and
// the µs TLS adds to roster (ACLs + mTLS − ACLs only) is compared with the µs it adds there.
// New connections made during the measured loops are counted per side (must be 0: kept alive).
// Measured: server CPU time per small read (from /proc/<pid>/task/*/schedstat), for
//   GET /v1/health/service/small  (one instance; with ACLs: token resolved, node and service read checked)
//   GET /v1/catalog/services       (with ACLs: filtered per service)
//   GET /v1/status/leader          (public: no token is resolved)
// each side in an order rotated per repetition; the ratio secure ÷ plain per repetition, median
// over repetitions.                                             target ≤ 1.1× for every read
//
// Run:  npx tsc -b packages/roster packages/server packages/cli && node bench/security.bench.mjs
//       (or: npm run bench -- security)
// Options: --reps N (default 5)  --count N (requests per side per path per repetition, default 10000)
//          --quick (reps 2, count 2000)   --json FILE (raw results)
//          --profile (both servers under node --cpu-prof; prints where each spends its CPU time)
// Bounded: each measurement stops at `count` requests or 8 s; every process started is stopped.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { closedLoop } from './lib/load.mjs';
import { profileTables, summarizeProfile } from './lib/cpuprofile.mjs';
import { cpuPreciseMs, spawnTracked, startRoster } from './lib/procs.mjs';
import { fmtRatio, median, table } from './lib/stats.mjs';

const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
};
const quick = argv.includes('--quick');
const reps = Number(opt('reps', quick ? 2 : 5));
const count = Number(opt('count', quick ? 2000 : 10_000));
const jsonFile = opt('json', undefined);
const profile = argv.includes('--profile');
if (!(reps >= 1 && reps <= 50 && count >= 100 && count <= 1_000_000)) throw new Error('--reps 1-50, --count 100-1000000');
const log = (line) => console.error(line);
const TOKEN = 'bench-read-token-0123456789';
const MANAGEMENT = 'bench-management-token-0123456789';
const PATHS = ['/v1/health/service/small', '/v1/catalog/services', '/v1/status/leader'];
const BARE_SERVER = new URL('./lib/bare-tls-server.mjs', import.meta.url).pathname;

/** Starts the bare floor server (`http`, or `https` with mutual TLS); stopped through `procs`. */
async function startBareFloor(answersFile, mode, certs) {
  const tlsArgs = mode === 'https' ? [certs.server.cert, certs.server.key, certs.ca.cert] : [];
  const p = spawnTracked(`bare node ${mode}`, process.execPath, [BARE_SERVER, answersFile, mode, ...tlsArgs], /listening on (\S+)/);
  try {
    const [, url] = await p.started;
    return { url, pid: p.child.pid, stop: () => p.stop() };
  } catch (error) {
    await p.stop();
    throw error;
  }
}

/** CA, server (IP:127.0.0.1) and client certificates, made with openssl. */
function certificates(dir) {
  const f = (n) => join(dir, n);
  const openssl = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const issue = (name, { ca, san, isCa = false }) => {
    openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', f(`${name}.key`));
    openssl('req', '-new', '-key', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${name}`);
    writeFileSync(
      f(`${name}.ext`),
      `${isCa ? 'basicConstraints=critical,CA:TRUE' : 'basicConstraints=CA:FALSE'}\n${san ? `subjectAltName=${san}\n` : ''}`,
    );
    const signer = ca === undefined ? ['-signkey', f(`${name}.key`)] : ['-CA', f(`${ca}.crt`), '-CAkey', f(`${ca}.key`), '-CAcreateserial'];
    openssl('x509', '-req', '-in', f(`${name}.csr`), ...signer, '-out', f(`${name}.crt`), '-days', '1', '-extfile', f(`${name}.ext`));
    chmodSync(f(`${name}.key`), 0o600);
    return { cert: f(`${name}.crt`), key: f(`${name}.key`) };
  };
  const ca = issue('ca', { isCa: true });
  const server = issue('server', { ca: 'ca', san: 'IP:127.0.0.1' });
  const client = issue('client', { ca: 'ca' });
  return { ca, server, client };
}

function aclFile(dir) {
  const file = join(dir, 'acl.json');
  const acl = {
    default_policy: 'deny',
    policies: {
      read: {
        service_prefix: { '': { policy: 'read' } },
        node_prefix: { '': { policy: 'read' } },
        agent_prefix: { '': { policy: 'read' } },
      },
    },
    tokens: [
      { secret_id: TOKEN, description: 'bench reader', policies: ['read'] },
      { secret_id: MANAGEMENT, description: 'bench management', policies: ['global-management'] },
    ],
  };
  writeFileSync(file, JSON.stringify(acl), { mode: 0o600 });
  return file;
}

const dir = mkdtempSync(join(os.tmpdir(), 'roster-bench-security-'));
const procs = [];
const pools = [];
const results = {
  reps,
  count,
  loadBefore: os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' '),
};
try {
  const certs = certificates(dir);
  const profileArgs = (name) => {
    if (!profile) return [];
    mkdirSync(join(dir, `prof-${name}`));
    return ['--cpu-prof', `--cpu-prof-dir=${join(dir, `prof-${name}`)}`];
  };
  const plain = await startRoster({ sync: 'normal', name: 'roster (plain)', nodeArgs: profileArgs('plain') });
  procs.push(plain);
  const secure = await startRoster({
    sync: 'normal',
    name: 'roster (ACLs + mTLS)',
    nodeArgs: profileArgs('secure'),
    args: [
      '--acl-file',
      aclFile(dir),
      '--tls-cert-file',
      certs.server.cert,
      '--tls-key-file',
      certs.server.key,
      '--tls-ca-file',
      certs.ca.cert,
      '--tls-verify-incoming',
    ],
  });
  procs.push(secure);
  // ACLs alone (plain HTTP): separates what the ACL checks cost from what TLS costs.
  const aclOnly = await startRoster({
    sync: 'normal',
    name: 'roster (ACLs only)',
    nodeArgs: profileArgs('acl'),
    args: ['--acl-file', aclFile(dir)],
  });
  procs.push(aclOnly);
  const poolOptions = { connections: 32, pipelining: 1, keepAliveTimeout: 120_000, keepAliveMaxTimeout: 600_000 };
  const clientTls = {
    ca: readFileSync(certs.ca.cert),
    cert: readFileSync(certs.client.cert),
    key: readFileSync(certs.client.key),
    servername: undefined,
  };
  const sides = [
    { name: 'plain', pid: plain.pid, pool: new Pool(plain.url, poolOptions), headers: {} },
    {
      name: 'secure',
      pid: secure.pid,
      pool: new Pool(secure.url, {
        ...poolOptions,
        connect: clientTls,
      }),
      headers: { 'x-consul-token': TOKEN },
    },
    { name: 'acl', pid: aclOnly.pid, pool: new Pool(aclOnly.url, poolOptions), headers: { 'x-consul-token': TOKEN } },
  ];
  pools.push(...sides.map((s) => s.pool));
  log(`plain ${plain.url} (pid ${plain.pid}), secure ${secure.url} (pid ${secure.pid})`);

  const request = async (side, method, path, body, headers = side.headers) => {
    const res = await side.pool.request({ method, path, body, headers });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`${side.name} ${method} ${path}: HTTP ${res.statusCode} ${text.slice(0, 200)}`);
    return text;
  };
  const small = JSON.stringify({ Name: 'small', ID: 'small-0', Address: '127.0.0.1', Port: 5000, Tags: ['bench'] });
  await request(sides[0], 'PUT', '/v1/agent/service/register', small);
  await request(sides[1], 'PUT', '/v1/agent/service/register', small, { 'x-consul-token': MANAGEMENT });
  await request(sides[2], 'PUT', '/v1/agent/service/register', small, { 'x-consul-token': MANAGEMENT });
  // The reader sees the instance through ACLs (not an empty, filtered answer).
  if (!(await request(sides[1], 'GET', '/v1/health/service/small')).includes('small-0')) throw new Error('the read token sees nothing');

  // The floor servers answer with the plain roster's own bytes (headers but the per-connection ones).
  const answers = {};
  for (const path of PATHS) {
    const res = await sides[0].pool.request({ method: 'GET', path });
    const headers = Object.fromEntries(
      Object.entries(res.headers).filter(([k]) => !['date', 'connection', 'keep-alive', 'content-length'].includes(k)),
    );
    answers[path] = { headers, body: await res.body.text() };
  }
  const answersFile = join(dir, 'answers.json');
  writeFileSync(answersFile, JSON.stringify(answers));
  const bare = await startBareFloor(answersFile, 'http', certs);
  procs.push(bare);
  const bareTls = await startBareFloor(answersFile, 'https', certs);
  procs.push(bareTls);
  sides.push(
    { name: 'bare', pid: bare.pid, pool: new Pool(bare.url, poolOptions), headers: {} },
    { name: 'bareTls', pid: bareTls.pid, pool: new Pool(bareTls.url, { ...poolOptions, connect: clientTls }), headers: {} },
  );
  pools.push(sides[3].pool, sides[4].pool);
  for (const side of sides) {
    side.connects = 0;
    side.pool.on('connect', () => side.connects++);
  }

  const run = async (side, path, n) => {
    const before = cpuPreciseMs(side.pid);
    const r = await closedLoop({ concurrency: 16, count: n, timeMs: 8000, op: () => request(side, 'GET', path) });
    return { usPerReq: ((cpuPreciseMs(side.pid) - before) * 1000) / r.done, perSecond: r.perSecond };
  };
  for (const side of sides) for (const path of PATHS) await run(side, path, Math.min(2000, count));
  for (const side of sides) side.connects = 0; // from here on, every request rides a kept-alive connection
  const perRep = [];
  for (let rep = 0; rep < reps; rep++) {
    const r = {};
    for (const path of PATHS) {
      const order = sides.map((_, i) => sides[(i + rep) % sides.length]);
      for (const side of order) {
        const x = await run(side, path, count);
        r[`${side.name} ${path}`] = x.usPerReq;
        r[`${side.name} ${path} rate`] = x.perSecond;
      }
      r[`ratio ${path}`] = r[`secure ${path}`] / r[`plain ${path}`];
      r[`acl ratio ${path}`] = r[`acl ${path}`] / r[`plain ${path}`];
      r[`floor ratio ${path}`] = r[`bareTls ${path}`] / r[`bare ${path}`];
      // µs TLS adds: to roster (over the ACLs-only server) and to bare Node (over bare http).
      r[`tls us ${path}`] = r[`secure ${path}`] - r[`acl ${path}`];
      r[`floor tls us ${path}`] = r[`bareTls ${path}`] - r[`bare ${path}`];
      r[`tls vs floor ${path}`] = r[`tls us ${path}`] / r[`floor tls us ${path}`];
      // The best secure ÷ plain Node's TLS allows: the plain server plus the floor's TLS µs.
      r[`reachable ${path}`] = (r[`plain ${path}`] + r[`floor tls us ${path}`]) / r[`plain ${path}`];
    }
    log(
      `rep ${rep + 1}: ${PATHS.map((p) => `${p} ${r[`plain ${p}`].toFixed(1)} → ${r[`secure ${p}`].toFixed(1)} µs (${fmtRatio(r[`ratio ${p}`])}), bare ${r[`bare ${p}`].toFixed(1)} → ${r[`bareTls ${p}`].toFixed(1)} µs (${fmtRatio(r[`floor ratio ${p}`])})`).join('; ')}`,
    );
    perRep.push(r);
  }
  results.perRep = perRep;
  results.loadAfter = os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  const m = (key) => median(perRep.map((r) => r[key]));
  const rows = PATHS.map((p) => [
    `GET ${p}`,
    `${m(`plain ${p}`).toFixed(1)} µs (${Math.round(m(`plain ${p} rate`)).toLocaleString('en-US')} /s)`,
    `${m(`acl ${p}`).toFixed(1)} µs (${fmtRatio(m(`acl ratio ${p}`))})`,
    `${m(`secure ${p}`).toFixed(1)} µs (${Math.round(m(`secure ${p} rate`)).toLocaleString('en-US')} /s)`,
    fmtRatio(m(`ratio ${p}`)),
    '≤ 1.1×',
    m(`ratio ${p}`) <= 1.1 ? 'yes' : '**no**',
  ]);
  results.ratios = Object.fromEntries(
    PATHS.map((p) => [
      p,
      {
        secure: m(`ratio ${p}`),
        aclOnly: m(`acl ratio ${p}`),
        floor: m(`floor ratio ${p}`),
        tlsUs: m(`tls us ${p}`),
        floorTlsUs: m(`floor tls us ${p}`),
        reachable: m(`reachable ${p}`),
        tlsVsFloor: m(`tls vs floor ${p}`),
      },
    ]),
  );
  results.newConnections = Object.fromEntries(sides.map((s) => [s.name, s.connects]));
  const floorRows = PATHS.map((p) => [
    `GET ${p}`,
    `${m(`bare ${p}`).toFixed(1)} µs`,
    `${m(`bareTls ${p}`).toFixed(1)} µs`,
    fmtRatio(m(`floor ratio ${p}`)),
    `${m(`tls us ${p}`).toFixed(1)} µs`,
    `${m(`floor tls us ${p}`).toFixed(1)} µs`,
    fmtRatio(m(`tls vs floor ${p}`)),
    fmtRatio(m(`reachable ${p}`)),
  ]);
  console.log(
    [
      `### Server CPU per small read: ACLs + mutual TLS vs the plain server (${reps} repetitions × ${count.toLocaleString('en-US')} requests per side and read, 16 in flight, keep-alive)`,
      '',
      `- ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, node ${process.version}; load average ${results.loadBefore} before, ${results.loadAfter} after`,
      '- the secure server: ACL file (default deny, a read-all token sent as X-Consul-Token on every request), TLS with --tls-verify-incoming (P-256 certificates, client certificate on every connection)',
      '',
      table(
        ['read', 'plain: server CPU per request', 'ACLs only (ratio)', 'ACLs + mTLS', 'ACLs + mTLS ÷ plain (median)', 'target', 'met'],
        rows,
      ),
      '',
      'The floor, same run: bare Node http vs bare Node https (mutual TLS, same certificates) sending the same bytes:',
      '',
      table(
        [
          'read',
          'bare http',
          'bare https (mTLS)',
          'bare https ÷ http',
          'µs TLS adds to roster (ACLs + mTLS − ACLs only)',
          'µs TLS adds to bare Node',
          'roster ÷ floor (TLS µs)',
          'best secure ÷ plain Node allows (plain + floor µs)',
        ],
        floorRows,
      ),
      '',
      `New connections during the measured loops (kept-alive: all 0): ${sides.map((s) => `${s.name} ${s.connects}`).join(', ')}`,
      '',
    ].join('\n'),
  );
  if (jsonFile) writeFileSync(jsonFile, JSON.stringify(results, null, 2));
} finally {
  await Promise.allSettled(pools.map((p) => p.destroy()));
  for (const p of procs.reverse()) await p.stop();
  if (profile) {
    for (const name of ['plain', 'acl', 'secure'].filter((n) => readdirSync(dir).includes(`prof-${n}`))) {
      const d = join(dir, `prof-${name}`);
      for (const f of readdirSync(d).filter((x) => x.endsWith('.cpuprofile'))) {
        console.log(
          `\n#### CPU profile of the ${name} server\n\n${profileTables(summarizeProfile(JSON.parse(readFileSync(join(d, f), 'utf8')), 25))}\n`,
        );
      }
    }
  }
  rmSync(dir, { recursive: true, force: true });
}
