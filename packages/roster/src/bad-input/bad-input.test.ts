/**
 * The generated bad-input suite (issue 12): `test-support.ts` runs fast-check over every public
 * function and constructor with arbitrary values, in a child process started with
 * `--unhandled-rejections=strict` (an unhandled rejection or uncaught exception kills it). The
 * child must report every case as a roster error or a normal end, run at least 5,000 cases, and
 * exit by itself once everything is closed. The seed is printed on failure; replay one with
 * ROSTER_BAD_INPUT_SEED=<seed>. By default the seed comes from the commit checked out (D153): the
 * same commit always runs the same cases, so a submission can be checked before it is sent, and
 * every new commit explores new ones; ROSTER_BAD_INPUT_SEED=random picks one at random. A real roster serve and a real etcd (when installed) are started
 * once for the file; the child calls the Consul and etcd backends against them. The child also
 * lists the exports it covered: every public function and class of every entry must be among
 * them (a new export without a target fails here).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as mainEntry from '@rosterjs/roster';
import * as consulEntry from '@rosterjs/roster/consul';
import * as etcdEntry from '@rosterjs/roster/etcd';
import * as grpcEntry from '@rosterjs/roster/grpc';
import * as healthEntry from '@rosterjs/roster/health';
import * as testingEntry from '@rosterjs/roster/testing';
import { createServer, type RosterServer } from '@rosterjs/server';
import { build } from 'rolldown';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type EtcdCluster, startEtcdCluster } from '../../../../test-support/etcd.js';
import { requireBinary } from '../../../../test-support/system.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
// Inside the repository's node_modules, so the bundle's external packages resolve.
const dir = join(root, 'node_modules', '.cache', `roster-bad-input-${process.pid}`);
const RUNS_PER_TARGET = 1000;

const etcdAvailable = requireBinary('etcd', 'etcd-server', 'bad input on the etcd backend');
let roster: RosterServer | undefined;
let rosterUrl = '';
let dataDir = '';
let cluster: EtcdCluster | undefined;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'roster-bad-input-'));
  roster = createServer({ port: 0, dataDir, logLevel: 'silent', sync: 'normal' });
  rosterUrl = (await roster.listen()).url;
  if (etcdAvailable) cluster = await startEtcdCluster(1);
}, 60_000);

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await roster?.close();
  await cluster?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

/** Every public function and class of every entry, as `entry name`. */
function publicFunctions(): string[] {
  const entries: Record<string, Record<string, unknown>> = {
    '@rosterjs/roster': mainEntry,
    '@rosterjs/roster/health': healthEntry,
    '@rosterjs/roster/consul': consulEntry,
    '@rosterjs/roster/etcd': etcdEntry,
    '@rosterjs/roster/grpc': grpcEntry,
    '@rosterjs/roster/testing': testingEntry,
  };
  return Object.entries(entries).flatMap(([entry, exports]) =>
    Object.entries(exports)
      .filter(([, v]) => typeof v === 'function')
      .map(([name]) => `${entry} ${name}`),
  );
}

it('arbitrary options and arguments end as roster errors or normal results: no crash, no hang, exit after close', async () => {
  mkdirSync(dir, { recursive: true });
  const bundle = join(dir, 'bad-input.mjs');
  await build({
    input: fileURLToPath(new URL('./test-support.ts', import.meta.url)),
    platform: 'node',
    resolve: { extensionAlias: { '.js': ['.ts', '.js'] } },
    external: [/^undici/, /^etcd3/, /^fast-check/, /^@grpc\//, /^node:/, /^vitest/],
    output: { file: bundle, format: 'esm' },
    logLevel: 'silent',
  });
  const seed = seedToUse(process.env.ROSTER_BAD_INPUT_SEED);
  const child = spawn(process.execPath, ['--unhandled-rejections=strict', bundle], {
    env: { ...process.env, SEED: seed, RUNS: String(RUNS_PER_TARGET), ROSTER_URL: rosterUrl, ETCD_URL: cluster?.url ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-8000)));
  let doneAt = 0;
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    const limit = setTimeout(() => child.kill('SIGKILL'), 230_000);
    child.stdout.on('data', () => {
      if (doneAt === 0 && stdout.includes('"done":true')) doneAt = Date.now();
    });
    child.on('exit', (code, signal) => {
      clearTimeout(limit);
      resolve({ code, signal });
    });
  });
  const lines = stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const report = `seed ${seed} (replay: ROSTER_BAD_INPUT_SEED=${seed})\n${lines.map((l) => JSON.stringify(l)).join('\n')}\nstderr:\n${stderr}`;
  const done = lines.find((l) => l.done === true);
  expect(done, report).toBeDefined();
  expect(exit, report).toEqual({ code: 0, signal: null });
  expect(done?.cases as number, report).toBeGreaterThanOrEqual(5000);
  // Nothing left open keeps the process alive after the last close().
  expect(Date.now() - doneAt, report).toBeLessThan(10_000);
  // Every public function and class is covered by a target (or exempt with a reason).
  const accounted = new Set([...(done?.covered as string[]), ...Object.keys(done?.exempt as Record<string, string>)]);
  const missing = publicFunctions().filter((f) => !accounted.has(f.split(' ')[1]!));
  expect(missing, 'public functions without a bad-input target').toEqual([]);
}, 240_000);

/** The seed: the one given, a random one for `random`, else one derived from the HEAD commit (D153). */
function seedToUse(given: string | undefined): string {
  const random = () => String(Math.floor(Math.random() * 2 ** 31));
  if (given !== undefined && given !== '') return given === 'random' ? random() : given;
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: fileURLToPath(new URL('.', import.meta.url)), encoding: 'utf8' });
    return String(Number.parseInt(head.trim().slice(0, 8), 16) % 2 ** 31);
  } catch {
    return random(); // not a git checkout (a published tarball): explore
  }
}
