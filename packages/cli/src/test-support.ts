/**
 * Test helpers: run the built `roster` command (packages/cli/dist/bin.js, built by `npm test`
 * or `npx tsc -b packages/cli`) as a child process, to completion or in the background.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/** The built CLI. */
export const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

/** How a finished run went. */
export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A CLI run in the background (watch, register --ttl). */
export interface BackgroundCli {
  readonly child: ChildProcess;
  /** stdout so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout matches `pattern` (polled); rejects after `timeoutMs` or when the process ends first. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves when it has ended. */
  readonly done: Promise<CliResult>;
}

const baseEnv = (env: Record<string, string | undefined>) => {
  const cleared = { ROSTER_REGISTRY: undefined, FORCE_COLOR: undefined, NO_COLOR: undefined };
  const merged: Record<string, string | undefined> = { ...process.env, ...cleared, ...env };
  return Object.fromEntries(Object.entries(merged).filter((e): e is [string, string] => e[1] !== undefined));
};

/** Starts `roster ...args`; `env` is added to this process's (ROSTER_REGISTRY and colour settings cleared first). */
export function startCli(args: readonly string[], env: Record<string, string | undefined> = {}): BackgroundCli {
  const child = spawn(process.execPath, [BIN, ...args], { env: baseEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  let ended = false;
  const done = new Promise<CliResult>((resolve) =>
    child.once('close', (code, signal) => {
      ended = true;
      resolve({ code, signal, stdout, stderr });
    }),
  );
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    done,
    async waitForOutput(pattern, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      while (!pattern.test(stdout)) {
        if (ended) throw new Error(`roster ${args.join(' ')} ended before printing ${pattern}\nstdout: ${stdout}\nstderr: ${stderr}`);
        if (Date.now() > until) {
          throw new Error(`roster ${args.join(' ')}: no ${pattern} after ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`);
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    },
  };
}

/** Runs `roster ...args` to completion. */
export function runCli(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return startCli(args, env).done;
}

/** A loopback port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
