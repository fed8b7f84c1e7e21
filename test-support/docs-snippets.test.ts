/**
 * Docs that run: every fenced code block of README.md and docs/*.md is executed as written,
 * unless the line right before its fence is `<!-- not-run: <reason> -->` (conventions:
 * docs-snippets.ts). Per Markdown file, in order, against a real `roster serve` started here on a
 * free loopback port (and a real etcd when the file's blocks use `etcd://`): 127.0.0.1:8500 in a
 * block becomes that server, 2379 that etcd, and the example ports (8080, 9000, …) free ports.
 * Shell blocks run with the built CLI on PATH as `roster` (and `npx roster`), ts/js blocks as
 * ES modules against the built packages (`npm test` builds first). A block that fails, prints an
 * output other than documented, or has not ended after two minutes fails its test; everything a file
 * started is stopped after its last block.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { createServer, type RosterServer } from '@rosterjs/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleSteps, type DocBlock, extractBlocks, outputMatches, rewritePorts } from './docs-snippets.js';
import { type EtcdCluster, freePort, startEtcdCluster } from './etcd.js';
import { which } from './system.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const BLOCK_LIMIT_MS = 120_000;
/** Ports the docs use for example services; each becomes a free port. */
const EXAMPLE_PORTS = [3000, 8080, 8081, 8082, 8651, 9000, 9001, 9090];

const files = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
];

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** What one Markdown file's blocks run against, and what they started. */
class Session {
  readonly ports = new Map<number, number>();
  readonly groups: ChildProcess[] = [];
  readonly background: { block: DocBlock; child: ChildProcess; exited?: Run }[] = [];
  readonly dir = mkdtempSync(join(tmpdir(), 'roster-docs-'));
  readonly moduleDir: string;
  server?: RosterServer;
  etcd?: EtcdCluster;

  constructor() {
    // Inside the repository, so that the blocks' imports of @rosterjs/* resolve to the workspace.
    mkdirSync(join(root, 'node_modules/.cache'), { recursive: true });
    this.moduleDir = mkdtempSync(join(root, 'node_modules/.cache/roster-docs-'));
  }

  async start(blocks: readonly DocBlock[]): Promise<void> {
    const dataDir = join(this.dir, 'data');
    this.server = createServer({ port: 0, dataDir, logLevel: 'silent', sync: 'normal' });
    this.ports.set(8500, (await this.server.listen()).port);
    if (blocks.some((b) => b.code.includes('etcd://'))) {
      this.etcd = await startEtcdCluster(1);
      this.ports.set(2379, Number(this.etcd.endpoints[0]!.split(':')[1]));
    }
    for (const p of EXAMPLE_PORTS) this.ports.set(p, await freePort());
    const bin = join(this.dir, 'bin');
    mkdirSync(bin);
    symlinkSync(join(root, 'packages/cli/bin/roster.js'), join(bin, 'roster'));
  }

  get env(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('ROSTER_') && k !== 'FORCE_COLOR') env[k] = v;
    env.PATH = `${join(this.dir, 'bin')}:${process.env.PATH ?? ''}`;
    env.ROSTER_REGISTRY = `consul://127.0.0.1:${this.ports.get(8500)}`;
    env.NO_COLOR = '1';
    return env;
  }

  /** Starts `command args` in its own process group (so whatever it starts in the background can be stopped too). */
  spawn(command: string, args: readonly string[]): ChildProcess {
    const child = spawn(command, args, { cwd: root, env: this.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.groups.push(child);
    return child;
  }

  run(command: string, args: readonly string[], limitMs = BLOCK_LIMIT_MS): Promise<Run> {
    const child = this.spawn(command, args);
    return collect(child, limitMs);
  }

  shell(script: string, limitMs?: number): Promise<Run> {
    const prelude = [
      'set -e',
      // `npx roster` is the CLI on PATH, `npx <tool>` a tool of the workspace; any other npx
      // would download from the npm registry, which a test must not do.
      'npx() { if [ "$1" = roster ]; then shift; roster "$@"; elif [ -x "node_modules/.bin/$1" ]; then command npx --no-install "$@"; else echo "docs test: npx $1 would download it; not run" >&2; return 127; fi; }',
    ].join('\n');
    return this.run('bash', ['-c', `${prelude}\n${script}`], limitMs);
  }

  modulePath(block: DocBlock): string {
    const js = ts.transpileModule(rewritePorts(block.code, this.ports), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    const path = join(this.moduleDir, `${block.file.replace(/\W/g, '_')}-${block.line}.mjs`);
    writeFileSync(path, js);
    return path;
  }

  async stop(): Promise<void> {
    for (const sig of ['SIGTERM', 'SIGKILL'] as const) {
      const alive = this.groups.filter((c) => c.pid !== undefined && groupAlive(c.pid));
      if (alive.length === 0) break;
      for (const c of alive) killGroup(c.pid!, sig);
      const until = Date.now() + 5000;
      while (alive.some((c) => groupAlive(c.pid!)) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    }
    await this.server?.close();
    await this.etcd?.stop();
    rmSync(this.dir, { recursive: true, force: true });
    rmSync(this.moduleDir, { recursive: true, force: true });
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Collects a child's output until it ends (or kills its group after `limitMs`). */
function collect(child: ChildProcess, limitMs: number): Promise<Run> {
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      stderr += `\n[docs test: still running after ${limitMs} ms; killed]`;
      killGroup(child.pid!, 'SIGKILL');
    }, limitMs);
    // 'exit', not 'close': a block's own background job (`cmd &`) keeps the pipes open.
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const done = () => resolve({ code, signal, stdout, stderr });
      const grace = setTimeout(done, 200);
      child.stdout!.once('end', () => {
        clearTimeout(grace);
        done();
      });
    });
  });
}

const show = (block: DocBlock, run: Run) =>
  `${block.file}:${block.line} (${block.lang}) ended with ${run.code ?? run.signal}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;

async function runBlock(session: Session, block: DocBlock): Promise<void> {
  if (block.kind === 'shell') {
    const script = rewritePorts(block.code, session.ports);
    if (block.background) {
      await startBackground(session, block, session.spawn('bash', ['-c', script]));
      return;
    }
    const run = await session.shell(script);
    expect(run.code, show(block, run)).toBe(0);
  } else if (block.kind === 'console') {
    for (const step of consoleSteps(block.code)) {
      const command = rewritePorts(step.command, session.ports);
      const expected = rewritePorts(step.expected, session.ports);
      // Docs describe states that arrive soon (a check turning passing): a mismatch is retried
      // for up to 10 s before it fails.
      const until = Date.now() + 10_000;
      for (;;) {
        const run = await session.shell(command);
        const out = `${run.stdout}${run.stderr}`;
        if (run.code === 0 && outputMatches(expected, out)) break;
        if (Date.now() > until) {
          expect.fail(`${block.file}:${block.line}: $ ${command}\n--- expected\n${expected}\n--- got (exit ${run.code})\n${out}`);
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  } else if (block.kind === 'module') {
    const path = session.modulePath(block);
    if (block.background) {
      await startBackground(session, block, session.spawn(process.execPath, [path]));
      return;
    }
    const run = await session.run(process.execPath, [path]);
    expect(run.code, show(block, run)).toBe(0);
  }
}

/** Starts a background block and waits (bounded) for its first line on stdout, its "I am up". */
function startBackground(session: Session, block: DocBlock, child: ChildProcess): Promise<void> {
  const entry: { block: DocBlock; child: ChildProcess; exited?: Run } = { block, child };
  session.background.push(entry);
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    void collect(child, 10 * BLOCK_LIMIT_MS).then((run) => {
      entry.exited = run;
      reject(new Error(`background block ended before printing a line: ${show(block, run)}`));
    });
  });
  return Promise.race([
    ready,
    new Promise<void>((_, reject) =>
      setTimeout(() => reject(new Error(`${block.file}:${block.line}: background block printed nothing in 30 s`)), 30_000),
    ),
  ]);
}

describe('every fenced block of a doc is data, marked not-run with a reason, or runnable', () => {
  it.each(files)('%s', (file) => {
    for (const b of extractBlocks(file, readFileSync(join(root, file), 'utf8'))) {
      if (b.notRun !== undefined) expect(b.notRun, `${file}:${b.line}: not-run needs a reason`).not.toBe('');
      else expect(b.kind, `${file}:${b.line}: a \`${b.lang}\` block cannot be run: mark it <!-- not-run: reason -->`).not.toBe('unknown');
    }
  });
});

const haveEtcd = which('etcd') !== undefined;

for (const file of files) {
  const blocks = extractBlocks(file, readFileSync(join(root, file), 'utf8')).filter(
    (b) => b.notRun === undefined && (b.kind === 'shell' || b.kind === 'console' || b.kind === 'module'),
  );
  if (blocks.length === 0) continue;
  const needsEtcd = blocks.some((b) => b.code.includes('etcd://'));
  describe.skipIf(needsEtcd && !haveEtcd && process.env.ROSTER_REQUIRE_ALL !== '1')(`${file} runs as written`, () => {
    const session = new Session();
    beforeAll(() => session.start(blocks), 60_000);
    afterAll(async () => {
      await session.stop();
      for (const b of session.background) {
        // A background block must still have been running when the file ended, or have ended well.
        if (b.exited && b.exited.code !== 0 && b.exited.signal === null) throw new Error(show(b.block, b.exited));
      }
    }, 60_000);
    for (const block of blocks) {
      it(
        `${file}:${block.line} ${block.lang}${block.background ? ' (background)' : ''}`,
        () => runBlock(session, block),
        2 * BLOCK_LIMIT_MS,
      );
    }
  });
}
