import { describe, expect, it } from 'vitest';
import { FakeClock } from '@rosterjs/roster/testing';
import { RateLimiter } from './rate-limiter.js';

describe('RateLimiter', () => {
  it('a burst of `rate` queries per address, then one more per 1/rate seconds; addresses apart', async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter(4, clock);
    expect([1, 2, 3, 4, 5].map(() => limiter.take('10.0.0.1'))).toEqual([true, true, true, true, false]);
    expect(limiter.take('10.0.0.2')).toBe(true);
    await clock.advance(250); // one token back
    expect([limiter.take('10.0.0.1'), limiter.take('10.0.0.1')]).toEqual([true, false]);
    await clock.advance(10_000); // never more than the burst
    expect([1, 2, 3, 4, 5].map(() => limiter.take('10.0.0.1'))).toEqual([true, true, true, true, false]);
  });

  it('0 = unlimited', () => {
    const limiter = new RateLimiter(0, new FakeClock());
    for (let i = 0; i < 1000; i++) expect(limiter.take('10.0.0.1')).toBe(true);
    expect(limiter.size).toBe(0);
  });

  it('the table is bounded: the least recently seen address is forgotten first', () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter(1, clock, 3);
    for (const a of ['a', 'b', 'c']) expect(limiter.take(a)).toBe(true);
    expect(limiter.take('a')).toBe(false); // a is now the most recent
    expect(limiter.take('d')).toBe(true); // b forgotten
    expect(limiter.size).toBe(3);
    expect(limiter.take('a')).toBe(false); // still remembered, still empty
    expect(limiter.take('b')).toBe(true); // forgotten: a full bucket again (c goes)
  });
});
