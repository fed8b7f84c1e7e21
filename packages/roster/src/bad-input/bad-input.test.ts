/**
 * The generated bad-input suite (issue 12): `test-support.ts` runs fast-check over every public
 * function and constructor with arbitrary values, in a child process started with
 * `--unhandled-rejections=strict` (an unhandled rejection or uncaught exception kills it). The
 * child must report every case as a roster error or a normal end, run at least 5,000 cases, and
 * exit by itself once everything is closed. The seed is printed on failure; replay one with
 * ROSTER_BAD_INPUT_SEED=<seed>.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';
import { afterAll, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
// Inside the repository's node_modules, so the bundle's external packages resolve.
const dir = join(root, 'node_modules', '.cache', `roster-bad-input-${process.pid}`);
const RUNS_PER_TARGET = 1000;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('arbitrary options and arguments end as roster errors or normal results: no crash, no hang, exit after close', async () => {
  mkdirSync(dir, { recursive: true });
  const bundle = join(dir, 'bad-input.mjs');
  await build({
    input: fileURLToPath(new URL('./test-support.ts', import.meta.url)),
    platform: 'node',
    resolve: { extensionAlias: { '.js': ['.ts', '.js'] } },
    external: [/^undici/, /^etcd3/, /^fast-check/, /^@grpc\//, /^node:/],
    output: { file: bundle, format: 'esm' },
    logLevel: 'silent',
  });
  const seed = process.env.ROSTER_BAD_INPUT_SEED ?? String(Math.floor(Math.random() * 2 ** 31));
  const child = spawn(process.execPath, ['--unhandled-rejections=strict', bundle], {
    env: { ...process.env, SEED: seed, RUNS: String(RUNS_PER_TARGET) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-8000)));
  let doneAt = 0;
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    const limit = setTimeout(() => child.kill('SIGKILL'), 170_000);
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
}, 180_000);
