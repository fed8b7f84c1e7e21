/**
 * The built `roster serve` as a separate process, for tests that kill it (`kill -9`) and start it
 * again, with its data or with an empty data directory. Needs the build (`npm run build`, or
 * `npx tsc -b packages/server packages/cli`). Every process started here is stopped by `stop()`
 * (or `stopAllRosterProcesses()` in an afterAll).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stopProcess } from './etcd.js';

const ROOT = resolve(import.meta.dirname, '..');
/** The built CLI. */
export const ROSTER_BIN = join(ROOT, 'packages/cli/dist/bin.js');

const running = new Set<ChildProcess>();
const dirs = new Set<string>();

/** One roster serve on 127.0.0.1 (a free port each start) over a data directory it may keep or lose. */
export class RosterProcess {
  #child: ChildProcess | undefined;
  #dataDir = '';
  #url = '';
  #starts = 0;

  /** `http://127.0.0.1:<port>` of the current process. */
  get url(): string {
    return this.#url;
  }

  /** Process ID of the current process (undefined before the first start). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** `127.0.0.1:<port>` of the current process. */
  get endpoint(): string {
    return this.#url.replace('http://', '');
  }

  get running(): boolean {
    const c = this.#child;
    return c !== undefined && c.exitCode === null && c.signalCode === null;
  }

  /** Times started. */
  get starts(): number {
    return this.#starts;
  }

  /**
   * Starts the server: on the data directory it had (`keepData`, the default after the first
   * start) or on a new empty one. Resolves with its URL once it listens.
   */
  async start(options: { emptyData?: boolean } = {}): Promise<string> {
    if (this.running) throw new Error('roster serve is already running');
    if (this.#dataDir === '' || options.emptyData) {
      this.#dataDir = await mkdtemp(join(tmpdir(), 'roster-fault-'));
      dirs.add(this.#dataDir);
    }
    const child = spawn(
      process.execPath,
      [ROSTER_BIN, 'serve', '--port', '0', '--data-dir', this.#dataDir, '--log-level', 'warn', '--sync', 'normal'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    running.add(child);
    child.once('exit', () => running.delete(child));
    this.#child = child;
    this.#starts++;
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4096);
    });
    this.#url = await new Promise<string>((resolveUrl, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`roster serve did not start within 30 s: ${stderr}`)), 30_000);
      const onData = (d: Buffer) => {
        out += d.toString();
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          child.stdout?.off('data', onData);
          child.stdout?.resume();
          resolveUrl(m[1] as string);
        }
      };
      child.stdout?.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`roster serve exited with ${code}: ${stderr}`));
      });
    });
    return this.#url;
  }

  /** `kill -9`; resolves when the process is gone. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGKILL');
    await exited;
  }

  /** Stops the process (SIGTERM, then SIGKILL). */
  async stop(): Promise<void> {
    if (this.#child) await stopProcess(this.#child);
  }
}

/** Stops every roster serve started by this module and removes their data directories. */
export async function stopAllRosterProcesses(): Promise<void> {
  await Promise.allSettled([...running].map((c) => stopProcess(c)));
  await Promise.allSettled([...dirs].map((d) => rm(d, { recursive: true, force: true })));
  dirs.clear();
}
