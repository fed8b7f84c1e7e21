import { describe, expect, it } from 'vitest';
import { FakeClock } from '../testing/fake-clock.js';
import { startTtlTimer, ttlExpiredOutput } from './ttl-timer.js';

function setup(ttlMs: number, graceMs?: number) {
  const clock = new FakeClock(0);
  const expiries: number[] = [];
  const timer = startTtlTimer({ ttlMs, graceMs, clock, onExpire: () => expiries.push(clock.now()) });
  return { clock, expiries, timer };
}

describe('startTtlTimer', () => {
  it('expires once at now + ttl without renewals', async () => {
    const { clock, expiries, timer } = setup(10_000);
    expect(timer.deadline).toBe(10_000);
    await clock.advance(9_999);
    expect(expiries).toEqual([]);
    expect(timer.expired).toBe(false);
    await clock.advance(1);
    expect(expiries).toEqual([10_000]);
    expect(timer.expired).toBe(true);
    await clock.advance(100_000);
    expect(expiries).toEqual([10_000]);
    expect(clock.pending).toBe(0);
  });

  it('moves the deadline on every renewal', async () => {
    const { clock, expiries, timer } = setup(10_000);
    for (let i = 0; i < 5; i++) {
      await clock.advance(9_000);
      timer.renew();
      expect(timer.deadline).toBe(clock.now() + 10_000);
    }
    expect(expiries).toEqual([]);
    await clock.advance(10_000);
    expect(expiries).toEqual([55_000]);
  });

  it('keeps a single timer however often it is renewed', async () => {
    const { clock, timer } = setup(10_000);
    for (let i = 0; i < 100; i++) {
      await clock.advance(50);
      timer.renew();
    }
    expect(clock.pending).toBe(1);
  });

  it('re-arms after an expiry when renewed, and expires again', async () => {
    const { clock, expiries, timer } = setup(1_000);
    await clock.advance(1_000);
    timer.renew();
    expect(timer.expired).toBe(false);
    expect(timer.deadline).toBe(2_000);
    await clock.advance(1_000);
    expect(expiries).toEqual([1_000, 2_000]);
  });

  it('adds the grace period to the first deadline only', async () => {
    const { clock, expiries, timer } = setup(1_000, 30_000);
    expect(timer.deadline).toBe(31_000);
    await clock.advance(30_999);
    expect(expiries).toEqual([]);
    timer.renew();
    expect(timer.deadline).toBe(31_999);
    await clock.advance(1_000);
    expect(expiries).toEqual([31_999]);
  });

  it('never expires after stop, and ignores renewals then', async () => {
    const { clock, expiries, timer } = setup(1_000);
    await clock.advance(500);
    timer.stop();
    timer.stop();
    timer.renew();
    await clock.advance(10_000);
    expect(expiries).toEqual([]);
    expect(clock.pending).toBe(0);
  });

  it.each([
    [{ ttlMs: 0 }, 'ttlMs'],
    [{ ttlMs: Number.NaN }, 'ttlMs'],
    [{ ttlMs: 1_000, graceMs: -1 }, 'graceMs'],
  ])('rejects %o naming %s', (opts, field) => {
    expect(() => startTtlTimer({ ...opts, clock: new FakeClock(), onExpire: () => {} })).toThrow(
      expect.objectContaining({ code: 'ROSTER_ERR_INVALID_ARGUMENT', field }),
    );
  });
});

describe('ttlExpiredOutput', () => {
  it.each([
    ['', 'TTL expired'],
    ['all good', 'TTL expired (last output before timeout follows): all good'],
  ])('%j → %s', (last, output) => {
    expect(ttlExpiredOutput(last)).toBe(output);
  });
});
