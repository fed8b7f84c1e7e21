/**
 * The check-target guard suites again, inside a network namespace of their own (`unshare -n`,
 * with only loopback up): the suites prove that every refused target is refused before a socket
 * exists; here, even a guard that failed could not send a packet off this machine.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { requireBinary } from '../../../../test-support/system.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const SUITES = [
  'packages/roster/src/health/target-guard.test.ts',
  'packages/roster/src/health/target-policy.test.ts',
  'packages/server/src/checks/check-target.test.ts',
];
const inNamespace = process.env.ROSTER_IN_NETNS === '1';
const available =
  !inNamespace &&
  requireBinary('unshare', 'util-linux', 'guard suites in a network namespace') &&
  requireBinary('ip', 'iproute2', 'guard suites in a network namespace');

describe.runIf(available)('check-target guard suites inside `unshare -n`', () => {
  it('pass with nothing but loopback reachable', () => {
    // The namespace must hold exactly one link (lo), up, before the suites run.
    const script = `ip link set lo up && test "$(ip -o link | wc -l)" = 1 && echo "links: $(ip -o link | wc -l)" && exec npx vitest run ${SUITES.join(' ')}`;
    const run = spawnSync('unshare', ['-n', 'sh', '-c', script], {
      cwd: root,
      env: { ...process.env, ROSTER_IN_NETNS: '1', NO_COLOR: '1', FORCE_COLOR: '0' },
      encoding: 'utf8',
      timeout: 150_000,
    });
    const output = `${run.stdout}\n${run.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
    expect(run.status, output).toBe(0);
    expect(run.stdout).toContain('links: 1');
    expect(output).toMatch(/Tests\s+\d+ passed/);
    expect(output).not.toMatch(/[1-9]\d* failed/);
  }, 180_000);
});
