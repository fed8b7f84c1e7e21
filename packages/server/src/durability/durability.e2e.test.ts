/**
 * Durability: the built `roster serve` is killed with SIGKILL while a client writes, again and
 * again. After each restart every acknowledged registration and deregistration must be there
 * (nothing lost, nothing resurrected), with the data of its last acknowledged write, and the
 * index must never be lower than any index handed out before.
 *
 * Needs the build: `npx tsc -b packages/server packages/cli` (done in beforeAll).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../../..');
const BIN = join(ROOT, 'packages/cli/dist/bin.js');
const CYCLES = 12;
const WORKERS = 16;
const IDS_PER_WORKER = 4;
const ACKS_PER_CYCLE = 200;

type Expected = { state: 'present'; port: number } | { state: 'absent' };
/** An operation whose answer never came: either outcome is acceptable. */
type Uncertain = { before: Expected; after: Expected };

const children = new Set<ChildProcess>();
let dataDir = '';

async function startServer(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const url = await new Promise<string>((resolveUrl, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${stderr}`));
    });
  });
  return { child, url };
}

async function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill(signal);
  return exited;
}

async function services(url: string): Promise<{ index: number; ports: Map<string, number> }> {
  const r = await fetch(`${url}/v1/agent/services`);
  const body = (await r.json()) as Record<string, { Port: number }>;
  const c = await fetch(`${url}/v1/catalog/services`);
  await c.arrayBuffer();
  const h = await fetch(`${url}/v1/health/service/dur`);
  await h.arrayBuffer();
  const index = Math.max(Number(c.headers.get('x-consul-index')), Number(h.headers.get('x-consul-index')));
  return { index, ports: new Map(Object.entries(body).map(([id, s]) => [id, s.Port])) };
}

beforeAll(() => {
  execFileSync('npx', ['tsc', '-b', 'packages/server', 'packages/cli'], { cwd: ROOT, stdio: 'inherit' });
  dataDir = mkdtempSync(join(tmpdir(), 'roster-durability-'));
}, 180_000);

afterAll(async () => {
  for (const child of [...children]) await kill(child, 'SIGKILL');
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('kill -9 while writing', () => {
  it(`loses no acknowledged operation and never moves the index back (${CYCLES} cycles)`, async () => {
    const expected = new Map<string, Expected>();
    const uncertain = new Map<string, Uncertain>();
    const ids = Array.from({ length: WORKERS }, (_, w) => Array.from({ length: IDS_PER_WORKER }, (_, j) => `dur-${w}-${j}`));
    for (const id of ids.flat()) expected.set(id, { state: 'absent' });
    let acknowledged = 0;
    let maxIndex = 0;
    let seq = 0;

    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const { child, url } = await startServer();
      // 1. Everything acknowledged is there, nothing else; uncertain operations settle either way.
      const now = await services(url);
      expect(now.index, `index after restart ${cycle}`).toBeGreaterThanOrEqual(maxIndex);
      maxIndex = now.index;
      for (const [id, want] of expected) {
        const port = now.ports.get(id);
        const actual: Expected = port === undefined ? { state: 'absent' } : { state: 'present', port };
        const u = uncertain.get(id);
        const ok = (e: Expected) => e.state === actual.state && (e.state === 'absent' || e.port === (actual as { port: number }).port);
        if (u) {
          expect(ok(u.before) || ok(u.after), `${id} after restart ${cycle}: ${JSON.stringify(actual)} vs ${JSON.stringify(u)}`).toBe(true);
          expected.set(id, actual);
        } else {
          expect(actual, `${id} after restart ${cycle}`).toEqual(want);
        }
      }
      uncertain.clear();
      for (const id of now.ports.keys()) expect(expected.has(id), `unexpected ${id}`).toBe(true);

      // 2. Write concurrently; kill -9 once enough were acknowledged in this cycle.
      let cycleAcks = 0;
      let stopped = false;
      const reader = (async () => {
        while (!stopped) {
          try {
            const r = await fetch(`${url}/v1/catalog/services`);
            await r.arrayBuffer();
            maxIndex = Math.max(maxIndex, Number(r.headers.get('x-consul-index')));
          } catch {
            return;
          }
        }
      })();
      const worker = async (mine: string[]) => {
        while (!stopped) {
          const id = mine[Math.floor(Math.random() * mine.length)]!;
          const before = expected.get(id)!;
          const register = before.state === 'absent' || Math.random() < 0.3;
          const port = (++seq % 60_000) + 1;
          const after: Expected = register ? { state: 'present', port } : { state: 'absent' };
          uncertain.set(id, { before, after });
          let status: number;
          try {
            const r = register
              ? await fetch(`${url}/v1/agent/service/register`, {
                  method: 'PUT',
                  body: JSON.stringify({ Name: 'dur', ID: id, Port: port }),
                })
              : await fetch(`${url}/v1/agent/service/deregister/${id}`, { method: 'PUT' });
            await r.arrayBuffer();
            status = r.status;
          } catch {
            return; // killed: the operation stays uncertain
          }
          expect(status, `${register ? 'register' : 'deregister'} ${id}`).toBe(200);
          uncertain.delete(id);
          expected.set(id, after);
          acknowledged++;
          cycleAcks++;
        }
      };
      const workers = ids.map((mine) => worker(mine));
      while (cycleAcks < ACKS_PER_CYCLE) await delay(5);
      // Kill at a random moment while writes are in flight.
      await delay(Math.floor(Math.random() * 20));
      await kill(child, 'SIGKILL');
      stopped = true;
      await Promise.all([...workers, reader]);
    }

    // 3. A last restart: check, then a graceful stop (SIGTERM exits 0).
    const { child, url } = await startServer();
    const last = await services(url);
    expect(last.index).toBeGreaterThanOrEqual(maxIndex);
    for (const [id, want] of expected) {
      const u = uncertain.get(id);
      const port = last.ports.get(id);
      const actual: Expected = port === undefined ? { state: 'absent' } : { state: 'present', port };
      if (!u) expect(actual, id).toEqual(want);
    }
    expect(await kill(child, 'SIGTERM')).toBe(0);
    expect(acknowledged).toBeGreaterThanOrEqual(2_000);
  }, 600_000);
});
