import { afterEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from './clock.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('systemClock.now (D193)', () => {
  it('reads the wall clock in whole milliseconds while the wall clock is not stepped', () => {
    for (let i = 0; i < 1000; i++) {
      const before = Date.now();
      const now = systemClock.now();
      const after = Date.now();
      expect(Number.isInteger(now)).toBe(true);
      expect(now).toBeGreaterThanOrEqual(before - 1);
      expect(now).toBeLessThanOrEqual(after + 1);
    }
  });

  it('does not follow a step of the wall clock, forward or back, and never runs backwards', () => {
    const start = systemClock.now();
    const real = Date.now.bind(Date);
    for (const step of [3_600_000, -3_600_000]) {
      vi.spyOn(Date, 'now').mockImplementation(() => real() + step);
      const stepped = systemClock.now();
      expect(Math.abs(stepped - start)).toBeLessThan(1000);
      vi.restoreAllMocks();
    }
    let last = systemClock.now();
    for (let i = 0; i < 10_000; i++) {
      const now = systemClock.now();
      expect(now).toBeGreaterThanOrEqual(last);
      last = now;
    }
  });
});
