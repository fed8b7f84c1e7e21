/**
 * Signals, the true way: a child process runs a service with `announce()` (bundled from the
 * sources with rolldown, which the toolchain already has, since Node 20 cannot run TypeScript),
 * and the test sends it real SIGTERM/SIGINT with `kill`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const src = fileURLToPath(new URL('..', import.meta.url));

/** The service the child runs. Settings come from the environment; it reports on stdout, one JSON line each. */
const CHILD = `
import http from 'node:http';
import { announce } from '${src}agent/announce.js';
import { memoryRegistry } from '${src}registry/memory.js';
import { MemoryStore } from '${src}registry/memory-store.js';

const say = (line) => process.stdout.write(JSON.stringify(line) + '\\n');
const store = new MemoryStore();
store.subscribe('orders', (s) => say({ registry: s.instances[0]?.health ?? 'absent' }));
const server = http.createServer((req, res) => {
  const ms = Number(new URL(req.url, 'http://x').searchParams.get('ms') ?? 0);
  setTimeout(() => res.end('done'), ms);
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
if (process.env.HOLD) setInterval(() => {}, 1000);
const announcement = await announce({
  registry: memoryRegistry({ store }),
  service: 'orders',
  server,
  drain: { propagationMs: Number(process.env.PROPAGATION_MS ?? 200) },
  exitGraceMs: Number(process.env.EXIT_GRACE_MS ?? 2000),
});
announcement.onEvent((e) => {
  if (e.type === 'drain') say({ drain: e.phase });
  if (e.type === 'drained') say({ drained: e.result.trigger, signal: e.result.signal, errors: e.result.errors.length });
});
process.on('exit', (code) => say({ exit: code }));
say({ ready: server.address().port });
`;

let dir = '';
let bundle = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'roster-agent-'));
  writeFileSync(join(dir, 'child.ts'), CHILD);
  bundle = join(dir, 'child.mjs');
  await build({
    input: join(dir, 'child.ts'),
    platform: 'node',
    resolve: { extensionAlias: { '.js': ['.ts', '.js'] } },
    output: { file: bundle, format: 'esm' },
    logLevel: 'silent',
  });
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Run {
  readonly child: ChildProcess;
  /** Lines the child printed so far (parsed). */
  readonly lines: Record<string, unknown>[];
  /** Resolves with the first line that has `key`. */
  waitFor(key: string, value?: unknown): Promise<Record<string, unknown>>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

function run(env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, [bundle], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    lines.push(JSON.parse(line));
    for (const w of waiters.splice(0)) w();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  const waitFor = (key: string, value?: unknown) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const check = () => {
        const found = lines.find((l) => key in l && (value === undefined || l[key] === value));
        if (found) resolve(found);
        else if (child.exitCode !== null) reject(new Error(`child exited before printing ${key}: ${JSON.stringify(lines)}`));
        else waiters.push(check);
      };
      check();
      void exited.then(() => setImmediate(check));
    });
  return { child, lines, waitFor, exited };
}

function get(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let body = '';
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve(`${res.statusCode} ${body}`));
      })
      .on('error', reject);
  });
}

describe('signals (child process)', () => {
  it('SIGTERM drains — critical, wait, in-flight request done, deregistered — and the process exits 0 on its own', async () => {
    const service = run();
    const port = Number((await service.waitFor('ready')).ready);
    const inFlight = get(port, '/work?ms=400');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const killedAt = Date.now();
    service.child.kill('SIGTERM');
    expect(await inFlight).toBe('200 done');
    const exit = await service.exited;
    expect(exit).toMatchObject({ code: 0, signal: null });
    // 200 ms propagation + the rest of the 400 ms request; no waiting for the grace timer.
    expect(exit.at - killedAt).toBeLessThan(1800);
    expect(service.lines.filter((l) => !('ready' in l))).toEqual([
      { registry: 'passing' },
      { drain: 'started' },
      { registry: 'critical' },
      { drain: 'marked' },
      { drain: 'propagated' },
      { drain: 'closed' },
      { registry: 'absent' },
      { drain: 'deregistered' },
      { drained: 'signal', signal: 'SIGTERM', errors: 0 },
      { exit: 0 },
    ]);
  });

  it('SIGINT drains too', async () => {
    const service = run({ PROPAGATION_MS: '0' });
    await service.waitFor('ready');
    service.child.kill('SIGINT');
    expect(await service.exited).toMatchObject({ code: 0, signal: null });
    expect(service.lines).toContainEqual({ drained: 'signal', signal: 'SIGINT', errors: 0 });
  });

  it('ends a process that something else keeps alive after exitGraceMs', async () => {
    const service = run({ PROPAGATION_MS: '0', HOLD: '1', EXIT_GRACE_MS: '300' });
    await service.waitFor('ready');
    service.child.kill('SIGTERM');
    const drained = await service.waitFor('drained');
    const drainedAt = Date.now();
    expect(drained).toMatchObject({ errors: 0 });
    const exit = await service.exited;
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.at - drainedAt).toBeGreaterThanOrEqual(150);
    expect(exit.at - drainedAt).toBeLessThan(1500);
  });

  it('a second signal during the drain exits at once with 128 + the signal number', async () => {
    const service = run({ PROPAGATION_MS: '30000' });
    await service.waitFor('ready');
    service.child.kill('SIGTERM');
    await service.waitFor('drain', 'marked');
    const secondAt = Date.now();
    service.child.kill('SIGTERM');
    const exit = await service.exited;
    expect(exit).toMatchObject({ code: 143, signal: null });
    expect(exit.at - secondAt).toBeLessThan(1000);
  });
});
