/**
 * spawnNode(): a Node program as a child process whose output is read line by line — used by
 * the demo to run roster serve, the example servers and the example client, and by the
 * examples' tests.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** How a child process ended. */
export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A running Node program. */
export interface NodeProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Every stdout line so far. */
  readonly lines: readonly string[];
  /** stderr so far. */
  readonly stderr: () => string;
  /** Calls `listener` with each new stdout line; returns the unsubscriber. */
  onLine(listener: (line: string) => void): () => void;
  /** The first stdout line (so far or to come) matching `pattern`; rejects after `timeoutMs` or when the process ends first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves when the process has ended. */
  readonly exited: Promise<Exit>;
  /** True once the process has ended. */
  readonly done: boolean;
  /** Sends `signal` (default SIGTERM), then SIGKILL after `graceMs`; resolves when it has ended. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<Exit>;
}

/** Starts `node <script> ...args` with `env` added to this process's environment. */
export function spawnNode(
  name: string,
  script: string,
  args: readonly string[] = [],
  env: Readonly<Record<string, string>> = {},
): NodeProcess {
  const child = spawn(process.execPath, [script, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const listeners = new Set<(line: string) => void>();
  let stderr = '';
  let done = false;
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      resolve({ code, signal });
    });
    // A process that could not be started at all (spawn error) never emits 'exit'.
    child.once('error', () => {
      done = true;
      resolve({ code: null, signal: null });
    });
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const listener of listeners) listener(line);
  });
  const onLine = (listener: (line: string) => void) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  };
  return {
    name,
    child,
    pid: child.pid ?? -1,
    lines,
    stderr: () => stderr,
    onLine,
    get done() {
      return done;
    },
    exited,
    waitFor(pattern, timeoutMs = 15_000) {
      for (const line of lines) {
        const match = line.match(pattern);
        if (match) return Promise.resolve(match);
      }
      return new Promise((resolve, reject) => {
        const fail = (why: string) => {
          off();
          clearTimeout(timer);
          reject(new Error(`${name}: ${why} waiting for ${pattern}; stdout:\n${lines.join('\n')}\nstderr:\n${stderr}`));
        };
        const timer = setTimeout(() => fail(`no line after ${timeoutMs} ms`), timeoutMs);
        const off = onLine((line) => {
          const match = line.match(pattern);
          if (!match) return;
          off();
          clearTimeout(timer);
          resolve(match);
        });
        void exited.then((exit) => fail(`exited (${exit.signal ?? exit.code})`));
      });
    },
    async stop(signal = 'SIGTERM', graceMs = 5000) {
      if (done) return exited;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const exit = await exited;
      clearTimeout(timer);
      return exit;
    },
  };
}
