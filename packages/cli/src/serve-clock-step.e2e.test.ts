/**
 * A step of the wall clock (NTP stepping it, a VM resumed, `date -s`) moves no TTL deadline (D193).
 * A real `roster serve` (the built CLI) whose wall clock steps an hour forward, or an hour back,
 * right after its TTL checks were last passed: a preload makes its `Date.now()` jump on SIGUSR2,
 * as a step of the system clock would (its monotonic clock, like Node's timers, does not move).
 * Checks renewed every 500 ms stay passing through the step, a check no longer renewed goes
 * critical on time, a blocking query held across the step is answered when its wait is over, and
 * no request is refused by the rate limit. Before D193 the step back refused every request for an
 * hour (429, "retry after 3598 s": the token bucket saw time run backwards), and would have kept
 * the abandoned check passing and the query held for an hour.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { type BackgroundCli, startCli } from './test-support.js';

const dir = mkdtempSync(join(tmpdir(), 'roster-clock-step-'));
const started: BackgroundCli[] = [];
afterAll(async () => {
  for (const cli of started) if (cli.child.exitCode === null) cli.child.kill('SIGTERM');
  await Promise.all(started.map((c) => c.done));
  rmSync(dir, { recursive: true, force: true });
});

/** What the preload does: once the process gets SIGUSR2, its Date.now() is `STEP` ms off. */
const PRELOAD = `
const realNow = Date.now.bind(Date);
const step = Number(process.env.ROSTER_TEST_CLOCK_STEP_MS);
let offset = 0;
process.on('SIGUSR2', () => { offset = step; });
Date.now = () => realNow() + offset;
`;

/** Starts roster serve with the stepping preload; resolves with its URL and a function that steps its wall clock. */
async function serveWithStep(name: string, stepMs: number): Promise<{ url: string; step: () => void }> {
  const preload = join(dir, 'step-clock.mjs');
  writeFileSync(preload, PRELOAD);
  const cli = startCli(
    ['serve', '--port', '0', '--dns-port', '-1', '--data-dir', join(dir, name), '--sync', 'normal', '--log-level', 'warn'],
    {
      NODE_OPTIONS: `--import ${preload}`,
      ROSTER_TEST_CLOCK_STEP_MS: String(stepMs),
    },
  );
  started.push(cli);
  await cli.waitForOutput(/listening on http:\/\/\S+/, 30_000);
  return { url: /listening on (http:\/\/\S+)/.exec(cli.stdout())![1]!, step: () => cli.child.kill('SIGUSR2') };
}

const put = async (url: string, path: string, body?: unknown): Promise<void> => {
  const r = await fetch(`${url}${path}`, { method: 'PUT', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  expect(r.status, `${path}: ${await r.text()}`).toBe(200);
};

/** Each check's status by check ID. */
async function statuses(url: string): Promise<Record<string, string>> {
  const r = await fetch(`${url}/v1/agent/checks`);
  const checks = (await r.json()) as Record<string, { Status: string }>;
  return Object.fromEntries(Object.entries(checks).map(([id, c]) => [id, c.Status]));
}

/**
 * Registers three TTL checks of 3 s and passes them; steps the server's wall clock; then renews
 * two every 500 ms for 7 s and never the third; samples every status.
 */
async function scenario({ url, step }: { url: string; step: () => void }): Promise<{
  renewedNotPassing: string[];
  abandonedCriticalAfterMs: number | undefined;
  heldMs: number;
}> {
  for (const id of ['kept-1', 'kept-2', 'left']) {
    await put(url, '/v1/agent/service/register', { Name: id, ID: id, Port: 1, Check: { CheckID: `${id}-ttl`, TTL: '3s' } });
    await put(url, `/v1/agent/check/pass/${id}-ttl`);
  }
  // A blocking query held across the step: answered when its 2 s wait is over.
  const first = await fetch(`${url}/v1/health/service/kept-1`);
  await first.arrayBuffer();
  const heldSince = Date.now();
  const held = fetch(`${url}/v1/health/service/kept-1?index=${first.headers.get('x-consul-index')}&wait=2s`).then(async (r) => {
    await r.arrayBuffer();
    return Date.now() - heldSince;
  });
  await delay(200);
  const began = Date.now();
  step();
  await delay(100);
  const renewedNotPassing: string[] = [];
  let abandonedCriticalAfterMs: number | undefined;
  while (Date.now() - began < 7000) {
    for (const id of ['kept-1', 'kept-2']) await put(url, `/v1/agent/check/pass/${id}-ttl`);
    const s = await statuses(url);
    for (const id of ['kept-1-ttl', 'kept-2-ttl']) if (s[id] !== 'passing') renewedNotPassing.push(`${id} ${s[id]} @${Date.now() - began}`);
    if (abandonedCriticalAfterMs === undefined && s['left-ttl'] === 'critical') abandonedCriticalAfterMs = Date.now() - began;
    await delay(500);
  }
  const heldMs = await Promise.race([held, delay(5000).then(() => Number.POSITIVE_INFINITY)]);
  return { renewedNotPassing, abandonedCriticalAfterMs, heldMs };
}

describe('TTL checks across a step of the wall clock', () => {
  it.each([
    ['an hour forward', 3_600_000],
    ['an hour back', -3_600_000],
  ])(
    '%s: renewed checks stay passing, an abandoned one expires on time, a held query answers on time',
    async (_, stepMs) => {
      const r = await scenario(await serveWithStep(`step${stepMs}`, stepMs));
      expect(r.renewedNotPassing).toEqual([]);
      // 3 s TTL, sampled every ~0.5 s: critical between 3 and ~5 s after its last pass.
      expect(r.abandonedCriticalAfterMs).toBeGreaterThanOrEqual(2500);
      expect(r.abandonedCriticalAfterMs).toBeLessThan(5500);
      // wait=2s, plus Consul's up to 1/16 of jitter: answered long before the scenario's 7 s end.
      expect(r.heldMs).toBeGreaterThanOrEqual(1900);
      expect(r.heldMs).toBeLessThan(4000);
    },
    30_000,
  );
});
