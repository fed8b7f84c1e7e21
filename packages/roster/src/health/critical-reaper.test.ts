import { describe, expect, it } from 'vitest';
import { FakeClock } from '../testing/fake-clock.js';
import { startCriticalReaper } from './critical-reaper.js';

function setup(minIntervalMs?: number) {
  const clock = new FakeClock(0);
  const reaped: [number, readonly string[]][] = [];
  const reaper = startCriticalReaper({ clock, minIntervalMs, onDue: (ids) => reaped.push([clock.now(), ids]) });
  return { clock, reaped, reaper };
}

describe('startCriticalReaper', () => {
  it('reports a check at the exact time it has been critical for afterMs', async () => {
    const { clock, reaped, reaper } = setup();
    reaper.observe('service:web-1', 'critical', 60_000);
    await clock.advance(59_999);
    expect(reaped).toEqual([]);
    await clock.advance(1);
    expect(reaped).toEqual([[60_000, ['service:web-1']]]);
    expect(reaper.criticalSince('service:web-1')).toBeUndefined(); // handed over, no longer tracked
    await clock.advance(600_000);
    expect(reaped).toHaveLength(1);
    expect(clock.pending).toBe(0);
  });

  it('does not report a check that recovered or was forgotten', async () => {
    const { clock, reaped, reaper } = setup();
    reaper.observe('a', 'critical', 10_000);
    reaper.observe('b', 'critical', 10_000);
    await clock.advance(5_000);
    reaper.observe('a', 'passing', 10_000);
    reaper.forget('b');
    await clock.advance(100_000);
    expect(reaped).toEqual([]);
    expect(clock.pending).toBe(0);
  });

  it('restarts the period after a recovery', async () => {
    const { clock, reaped, reaper } = setup();
    reaper.observe('a', 'critical', 10_000);
    await clock.advance(9_000);
    reaper.observe('a', 'passing', 10_000);
    await clock.advance(1_000);
    reaper.observe('a', 'critical', 10_000);
    expect(reaper.criticalSince('a')).toBe(10_000);
    await clock.advance(9_999);
    expect(reaped).toEqual([]);
    await clock.advance(1);
    expect(reaped).toEqual([[20_000, ['a']]]);
  });

  it('moves the timer earlier for a check due sooner, and later ones follow', async () => {
    const { clock, reaped, reaper } = setup(0);
    reaper.observe('long', 'critical', 60_000);
    reaper.observe('short', 'critical', 5_000);
    reaper.observe('never', 'critical', 0);
    await clock.advance(120_000);
    expect(reaped).toEqual([
      [5_000, ['short']],
      [60_000, ['long']],
    ]);
    expect(reaper.criticalSince('never')).toBe(0);
  });

  it('gathers checks falling due within minIntervalMs into one call', async () => {
    const { clock, reaped, reaper } = setup(1_000);
    reaper.observe('a', 'critical', 10_000);
    await clock.advance(100);
    reaper.observe('b', 'critical', 10_000);
    await clock.advance(400);
    reaper.observe('c', 'critical', 10_000);
    await clock.advance(20_000);
    expect(reaped).toEqual([
      [10_000, ['a']],
      [11_000, ['b', 'c']],
    ]);
  });

  it('reports nothing after stop', async () => {
    const { clock, reaped, reaper } = setup();
    reaper.observe('a', 'critical', 1_000);
    reaper.stop();
    reaper.observe('b', 'critical', 1_000);
    await clock.advance(10_000);
    expect(reaped).toEqual([]);
    expect(clock.pending).toBe(0);
  });

  it('rejects a bad minIntervalMs', () => {
    expect(() => startCriticalReaper({ minIntervalMs: -1, onDue: () => {} })).toThrow(expect.objectContaining({ field: 'minIntervalMs' }));
  });
});
