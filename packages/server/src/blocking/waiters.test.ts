/** Held queries and their shared deadline heap (D166), on a fake clock. */
import { FakeClock } from '@rosterjs/roster/testing';
import { describe, expect, it } from 'vitest';
import type { IndexKey } from '../catalog/indexes.js';
import { type HoldTarget, type WakeReason, Waiters } from './waiters.js';

const KEY = 'service:web' as IndexKey;
const OTHER = 'service:db' as IndexKey;

/** A target recording how (and how often) it was settled. */
function recorder(): HoldTarget & { reasons: WakeReason[] } {
  const reasons: WakeReason[] = [];
  return { reasons, settle: (reason) => reasons.push(reason) };
}

describe('Waiters', () => {
  it('times out every waiter at its own deadline with one timer, whatever the order they came in', async () => {
    const clock = new FakeClock();
    const counts: number[] = [];
    const waiters = new Waiters(clock, (d) => counts.push(d));
    const deadlines = [500, 100, 300, 100, 900, 200];
    const targets = deadlines.map((ms) => {
      const t = recorder();
      waiters.holdFor([KEY], 1, () => 1, ms, t);
      return { ms, t };
    });
    expect(clock.pending).toBe(1);
    expect(waiters.size).toBe(6);
    for (const at of [100, 200, 300, 500, 900]) {
      await clock.advance(at - (clock.now() - 1_700_000_000_000) - 1);
      for (const { ms, t } of targets) expect(t.reasons).toEqual(ms < at ? ['timeout'] : []);
      await clock.advance(1);
      for (const { ms, t } of targets) expect(t.reasons).toEqual(ms <= at ? ['timeout'] : []);
    }
    expect(waiters.size).toBe(0);
    expect(clock.pending).toBe(0);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(0);
  });

  it('wakes only waiters whose resource moved past their index, all in one call, and never times them out after', async () => {
    const clock = new FakeClock();
    const waiters = new Waiters(clock);
    let web = 5;
    const behind = Array.from({ length: 100 }, () => {
      const t = recorder();
      waiters.holdFor([KEY], 5, () => web, 1000, t);
      return t;
    });
    const ahead = recorder();
    waiters.holdFor([KEY], 9, () => web, 1000, ahead);
    const other = recorder();
    waiters.holdFor([OTHER], 1, () => 1, 1000, other);
    web = 7;
    waiters.wake([KEY]);
    for (const t of behind) expect(t.reasons).toEqual(['changed']);
    expect(ahead.reasons).toEqual([]);
    expect(waiters.size).toBe(2);
    await clock.advance(1000);
    for (const t of behind) expect(t.reasons).toEqual(['changed']);
    expect(ahead.reasons).toEqual(['timeout']);
    expect(other.reasons).toEqual(['timeout']);
  });

  it('cancel is idempotent and settles once; releaseAll answers the rest', async () => {
    const clock = new FakeClock();
    const waiters = new Waiters(clock);
    const a = recorder();
    const b = recorder();
    const held = waiters.holdFor([KEY, OTHER], 1, () => 1, 1000, a);
    waiters.holdFor([KEY], 1, () => 1, 1000, b);
    held.cancel();
    held.cancel();
    expect(a.reasons).toEqual(['cancelled']);
    waiters.releaseAll();
    expect(b.reasons).toEqual(['released']);
    await clock.advance(2000);
    expect(a.reasons).toEqual(['cancelled']);
    expect(b.reasons).toEqual(['released']);
    expect(waiters.size).toBe(0);
  });

  it('keeps timing out correctly while woken waiters pile up in the heap (compaction)', async () => {
    const clock = new FakeClock();
    const waiters = new Waiters(clock);
    let index = 1;
    // 20 rounds of 500 held then woken: the heap compacts woken entries away as it grows.
    for (let round = 0; round < 20; round++) {
      const ts = Array.from({ length: 500 }, () => {
        const t = recorder();
        waiters.holdFor([KEY], index, () => index, 60_000 + round, t);
        return t;
      });
      index++;
      waiters.wake([KEY]);
      for (const t of ts) expect(t.reasons).toEqual(['changed']);
    }
    const last = recorder();
    waiters.holdFor([KEY], index, () => index, 10, last);
    expect(waiters.size).toBe(1);
    await clock.advance(10);
    expect(last.reasons).toEqual(['timeout']);
    await clock.advance(60_100);
    expect(waiters.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('the promise form resolves with the reason', async () => {
    const clock = new FakeClock();
    const waiters = new Waiters(clock);
    const hold = waiters.hold([KEY], 1, () => 2, 1000);
    waiters.wake([KEY]);
    expect(await hold.done).toBe('changed');
    const timed = waiters.hold([KEY], 1, () => 1, 5);
    await clock.advance(5);
    expect(await timed.done).toBe('timeout');
  });
});
