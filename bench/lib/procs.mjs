// Child processes of the server benchmark: roster serve (through the CLI), a one-member etcd and
// the bare Node hello world, each its own process so that its RSS and CPU time can be read from
// /proc/<pid>. Every process started here is stopped by `stop()`, and — should the benchmark die
// on the way — killed by the 'exit' handler installed below (SIGINT/SIGTERM included).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Live children and temp dirs, for the last-resort cleanup. */
const live = new Set();
const dirs = new Set();

function cleanupSync() {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}
process.on('exit', cleanupSync);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    cleanupSync();
    process.exit(130);
  });
}

/** A fresh temp dir under `base` (removed at exit at the latest). */
export function tempDir(base, prefix) {
  const dir = mkdtempSync(join(base ?? tmpdir(), prefix));
  dirs.add(dir);
  return dir;
}

/** Removes a temp dir made by {@link tempDir}. */
export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
}

/** A free loopback TCP port (for etcd, which cannot be told to pick one). */
export async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Resident set size of a process in bytes (VmRSS of /proc/<pid>/status). */
export function rssBytes(pid) {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

/** CPU time (user + system, all threads) a process used so far, in milliseconds (/proc/<pid>/stat). */
export function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which is in parentheses and may contain spaces).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / CLK_TCK;
}

/**
 * CPU time a process used so far, in milliseconds, at nanosecond resolution: the sum of the
 * run times in /proc/<pid>/task/<tid>/schedstat over its threads (Node's and etcd's threads live
 * as long as the process). Falls back to {@link cpuMs} (clock-tick resolution) without schedstat.
 */
export function cpuPreciseMs(pid) {
  try {
    return cpuThreadsMs(pid).all;
  } catch {
    return cpuMs(pid);
  }
}

/**
 * As {@link cpuPreciseMs}, split: `main` is the process's main thread (Node's event loop),
 * `all` every thread (V8's garbage-collection and compiler helpers, the libuv pool, …).
 * Throws without /proc/<pid>/task/<tid>/schedstat.
 */
export function cpuThreadsMs(pid) {
  let all = 0;
  let main = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      all += ns;
      if (Number(tid) === pid) main = ns;
    } catch {
      // the thread ended in between
    }
  }
  return { all: all / 1e6, main: main / 1e6 };
}

/**
 * Spawns `command args`, tracks it, and resolves once a stdout line matches `ready` (with the
 * match), rejecting if the process exits first or `limitMs` passes.
 */
export function spawnTracked(name, command, args, ready, limitMs = 20_000, env = process.env) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env, cwd: root });
  live.add(child);
  let out = '';
  let err = '';
  child.stderr.on('data', (chunk) => {
    err = (err + chunk.toString()).slice(-4096);
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  exited.then(() => live.delete(child));
  const stop = async (graceMs = 5000) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
    live.delete(child);
  };
  const started = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} not ready within ${limitMs} ms; stderr: ${err}`)), limitMs);
    child.stdout.on('data', (chunk) => {
      out += chunk.toString();
      const m = ready ? ready.exec(out) : null;
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) before it was ready; stderr: ${err}`));
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
  return { child, started, stop, stderr: () => err };
}

/**
 * Starts `roster serve` (node packages/cli/dist/bin.js serve) on a free port with a fresh data
 * dir under `base`. `nodeArgs` go to node itself (e.g. --cpu-prof); `args` are more `serve` flags.
 */
export async function startRoster({ sync = 'full', base, nodeArgs = [], args: extraArgs = [], name = `roster (--sync ${sync})` } = {}) {
  const dataDir = tempDir(base, 'roster-bench-serve-');
  const bin = join(root, 'packages/cli/dist/bin.js');
  const args = [
    ...nodeArgs,
    bin,
    'serve',
    '--port',
    '0',
    '--data-dir',
    dataDir,
    '--log-level',
    'warn',
    '--sync',
    sync,
    '--node-name',
    'bench',
    ...extraArgs,
  ];
  const p = spawnTracked(name, process.execPath, args, /listening on (https?:\/\/\S+)/);
  try {
    const [, url] = await p.started;
    return {
      name,
      kind: 'roster',
      url,
      pid: p.child.pid,
      dataDir,
      async stop() {
        await p.stop(15_000); // graceful: --cpu-prof writes its profile at exit
        removeDir(dataDir);
      },
    };
  } catch (error) {
    await p.stop();
    removeDir(dataDir);
    throw error;
  }
}

/** Starts the bare Node `http` hello world (bench/lib/bare-server.mjs). */
export async function startBare({ nodeArgs = [] } = {}) {
  const p = spawnTracked(
    'bare node http',
    process.execPath,
    [...nodeArgs, join(root, 'bench/lib/bare-server.mjs')],
    /listening on (http:\/\/\S+)/,
  );
  try {
    const [, url] = await p.started;
    return { name: 'bare node http', kind: 'bare', url, pid: p.child.pid, stop: () => p.stop() };
  } catch (error) {
    await p.stop();
    throw error;
  }
}

/** Starts the bare Fastify hello world (bench/lib/fastify-server.mjs). */
export async function startFastify() {
  const p = spawnTracked('bare fastify', process.execPath, [join(root, 'bench/lib/fastify-server.mjs')], /listening on (http:\/\/\S+)/);
  try {
    const [, url] = await p.started;
    return { name: 'bare fastify', kind: 'fastify', url, pid: p.child.pid, stop: () => p.stop() };
  } catch (error) {
    await p.stop();
    throw error;
  }
}

/** Starts a one-member etcd (Debian's etcd-server, defaults but the log level) on free loopback ports. */
export async function startEtcd({ base } = {}) {
  if (!existsSync('/usr/bin/etcd') && !process.env.PATH?.split(':').some((d) => existsSync(join(d, 'etcd')))) {
    throw new Error('etcd not found (Debian: apt-get install etcd-server)');
  }
  const dataDir = tempDir(base, 'roster-bench-etcd-');
  const [client, peer] = [await freePort(), await freePort()];
  const args = [
    '--name=bench',
    `--data-dir=${dataDir}`,
    `--listen-client-urls=http://127.0.0.1:${client}`,
    `--advertise-client-urls=http://127.0.0.1:${client}`,
    `--listen-peer-urls=http://127.0.0.1:${peer}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
    `--initial-cluster=bench=http://127.0.0.1:${peer}`,
    '--logger=zap',
    '--log-level=error',
  ];
  const p = spawnTracked('etcd', 'etcd', args, null);
  p.started.catch(() => {}); // readiness comes from /health below; an early exit is seen there
  const stop = async () => {
    await p.stop();
    removeDir(dataDir);
  };
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (p.child.exitCode !== null) break;
    try {
      const res = await fetch(`http://127.0.0.1:${client}/health`, { signal: AbortSignal.timeout(1000) });
      if (String((await res.json()).health) === 'true') {
        return { name: 'etcd', kind: 'etcd', endpoint: `127.0.0.1:${client}`, pid: p.child.pid, dataDir, stop };
      }
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  const err = p.stderr();
  await stop();
  throw new Error(`etcd did not become healthy; stderr: ${err}`);
}
