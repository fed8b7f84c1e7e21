import { describe, expect, it } from 'vitest';
import { callOnMembers, MemberSkippedError, skipFailingMember } from './etcd-failover.js';

class Transient extends Error {}
const isTransient = (e: Error) => e instanceof Transient;

describe('callOnMembers', () => {
  it('retries transient failures up to the number of attempts, then throws the last', async () => {
    let calls = 0;
    const policy = callOnMembers(3, isTransient);
    await expect(
      policy.execute(() => {
        calls++;
        throw new Transient(`attempt ${calls}`);
      }),
    ).rejects.toThrow('attempt 3');
    expect(calls).toBe(3);
  });

  it('returns the first success and never retries other errors', async () => {
    let calls = 0;
    expect(await callOnMembers(3, isTransient).execute(() => (++calls < 2 ? Promise.reject(new Transient()) : 'ok'))).toBe('ok');
    expect(calls).toBe(2);
    calls = 0;
    await expect(
      callOnMembers(3, isTransient).execute(() => {
        calls++;
        throw new Error('lease not found');
      }),
    ).rejects.toThrow('lease not found');
    expect(calls).toBe(1);
  });
});

describe('skipFailingMember', () => {
  // Each row: time, what the member does ('ok' | 'down' | 'answer' | 'cancel' | 'bad'), expected outcome.
  const table: [number, string, string][] = [
    [0, 'down', 'failed'],
    [10, 'down', 'failed'],
    [20, 'ok', 'ok'], // success resets the count
    [30, 'down', 'failed'],
    [40, 'answer', 'failed'], // "etcdserver: no leader": the member is up, resets the count
    [50, 'down', 'failed'],
    [60, 'cancel', 'failed'], // cancelled by us: not counted
    [70, 'bad', 'failed'], // a non-transient error is an answer: resets
    [80, 'down', 'failed'],
    [90, 'down', 'failed'],
    [100, 'down', 'failed'], // third in a row: skipped until 1100
    [500, 'ok', 'skipped'],
    [1099, 'ok', 'skipped'],
    [1100, 'down', 'failed'], // after the cooldown one more failure skips it again
    [1200, 'ok', 'skipped'],
    [2100, 'ok', 'ok'],
  ];

  it('skips a member after 3 unreachable failures in a row, for the cooldown', async () => {
    let now = 0;
    const policy = skipFailingMember({ failures: 3, cooldownMs: 1000, now: () => now, isTransient });
    const behave: Record<string, () => string> = {
      ok: () => 'ok',
      down: () => {
        throw new Transient('14 UNAVAILABLE: connect ECONNREFUSED');
      },
      answer: () => {
        throw new Transient('14 UNAVAILABLE: etcdserver: no leader');
      },
      cancel: () => {
        throw new Transient('1 CANCELLED: Cancelled on client');
      },
      bad: () => {
        throw new Error('etcdserver: requested lease not found');
      },
    };
    for (const [at, action, expected] of table) {
      now = at;
      const outcome = await policy.execute(behave[action] as () => string).then(
        () => 'ok',
        (e: unknown) => (e instanceof MemberSkippedError ? 'skipped' : 'failed'),
      );
      expect(`${at} ${action}: ${outcome}`).toBe(`${at} ${action}: ${expected}`);
    }
  });
});
