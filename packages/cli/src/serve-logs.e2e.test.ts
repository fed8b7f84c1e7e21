/**
 * What `roster serve` logs (the built CLI as a child process): ONE start-up line, then one info
 * line per registration, health change and deregistration; JSON lines with ISO times when stdout
 * is not a terminal (or with --log-format json), readable lines with --log-format pretty; an ACL
 * token never appears in the output.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@rosterjs/roster';
import { afterAll, describe, expect, it } from 'vitest';
import { type BackgroundCli, startCli } from './test-support.js';

const SECRET = 'sup3r-s3cret-t0ken';
const runs: BackgroundCli[] = [];
const dirs: string[] = [];

afterAll(async () => {
  for (const r of runs) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function serve(extra: readonly string[], env: Record<string, string> = {}): Promise<{ run: BackgroundCli; url: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'roster-serve-logs-'));
  dirs.push(dir);
  const run = startCli(['serve', '--port', '0', '--data-dir', dir, '--sync', 'normal', '--dns-port', '-1', ...extra], env);
  runs.push(run);
  await run.waitForOutput(/listening on http:\/\/\S+/, 20_000);
  const url = /listening on (http:\/\/[^\s"]+)/.exec(run.stdout())![1]!;
  return { run, url };
}

async function until(condition: () => boolean, what: string, limitMs = 15_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('roster serve logs', () => {
  it('JSON (stdout not a terminal): one start-up line, then register / health / deregister lines; no token', async () => {
    const { run, url } = await serve(['--acl-default-policy', 'deny'], { ROSTER_ACL_TOKENS: `${SECRET}=write` });
    const registry = connect(`consul://${url.slice('http://'.length)}?token=${SECRET}`);
    try {
      const lease = await registry.register({ service: 'logged', id: 'logged-1', address: '127.0.0.1', port: 9, ttl: '30s' });
      await lease.setHealth('critical', 'going down');
      await lease.deregister();
      await until(() => /deregistered logged\/logged-1/.test(run.stdout()), 'the deregistration line');
    } finally {
      await registry.close();
    }
    run.child.kill('SIGTERM');
    await run.done;
    const lines = run.stdout().trim().split('\n');
    const entries = lines.map((l) => JSON.parse(l) as { level: number; time: string; msg: string; event?: string });
    for (const e of entries) expect(e.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(entries.filter((e) => /listening/i.test(e.msg))).toHaveLength(1);
    expect(entries.filter((e) => e.event === 'register').map((e) => e.msg)).toEqual(['registered logged/logged-1 at 127.0.0.1:9']);
    expect(entries.filter((e) => e.event === 'health').map((e) => e.msg)).toContainEqual(
      expect.stringMatching(/^logged\/logged-1 passing → critical/),
    );
    expect(entries.filter((e) => e.event === 'deregister').map((e) => e.msg)).toEqual(['deregistered logged/logged-1 (deregistered)']);
    expect(`${run.stdout()}${run.stderr()}`).not.toContain(SECRET);
  }, 60_000);

  it('--log-format pretty: readable lines, the same single start-up line', async () => {
    const { run } = await serve(['--log-format', 'pretty']);
    run.child.kill('SIGTERM');
    await run.done;
    const lines = run.stdout().trim().split('\n');
    expect(lines[0]).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} INFO +roster serve listening on http:\/\/127\.0\.0\.1:\d+ \(data dir .+, index \d+\)( {2}.*)?$/,
    );
    expect(lines.filter((l) => /listening/i.test(l))).toHaveLength(1);
    for (const l of lines) expect(l.startsWith('{')).toBe(false);
  }, 60_000);
});
