/** The token bucket per client on a fake clock: burst, exact waits, refill, separate clients, bounded memory. */
import { FakeClock } from '@rosterjs/roster/testing';
import { describe, expect, it } from 'vitest';
import { ClientHolds } from './client-holds.js';
import { clientKey } from './client-key.js';
import { RateLimiter } from './rate-limiter.js';

describe('RateLimiter', () => {
  it('allows a burst, then says exactly how long to wait; refills at the rate, up to the burst', async () => {
    const clock = new FakeClock();
    const r = new RateLimiter({ perSecond: 4, burst: 3 }, clock);
    expect([r.take('a'), r.take('a'), r.take('a')]).toEqual([0, 0, 0]);
    expect(r.take('a')).toBe(250);
    expect(r.take('b')).toBe(0); // another client has its own bucket
    await clock.advance(100);
    expect(r.take('a')).toBe(150);
    await clock.advance(150);
    expect(r.take('a')).toBe(0);
    expect(r.take('a')).toBe(250);
    await clock.advance(60_000);
    expect([r.take('a'), r.take('a'), r.take('a'), r.take('a')]).toEqual([0, 0, 0, 250]);
  });

  it('keeps at most maxClients buckets: full ones go first, then the oldest', async () => {
    const clock = new FakeClock();
    const r = new RateLimiter({ perSecond: 1, burst: 2 }, clock, 4);
    for (const k of ['a', 'b', 'c', 'd']) r.take(k);
    await clock.advance(1000); // a..d full again
    r.take('e');
    expect(r.size).toBe(1);
    for (const k of ['f', 'g', 'h']) r.take(k);
    r.take('i'); // all draining: the oldest half goes
    expect(r.size).toBeLessThanOrEqual(4);
    expect(r.take('i')).toBe(0);
  });
});

describe('ClientHolds', () => {
  it('counts per client up to max; release is idempotent and frees the slot', () => {
    const h = new ClientHolds(2);
    const r1 = h.acquire('a')!;
    const r2 = h.acquire('a')!;
    expect(h.acquire('a')).toBeUndefined();
    expect(h.acquire('b')).toBeDefined();
    r1();
    r1();
    expect(h.count('a')).toBe(1);
    expect(h.acquire('a')).toBeDefined();
    r2();
    expect(new ClientHolds(0).acquire('a')).toBeUndefined();
  });
});

describe('clientKey', () => {
  it.each([
    ['acc-1', '127.0.0.1', 'token:acc-1'],
    [undefined, '127.0.0.1', 'addr:127.0.0.1'],
    [undefined, '::ffff:127.0.0.2', 'addr:127.0.0.2'],
    [undefined, '2001:db8:1:2:3:4:5:6', 'addr:2001:db8:1:2::/64'],
    [undefined, '2001:db8::1', 'addr:2001:db8:0:0::/64'],
    [undefined, '::1', 'addr:0:0:0:0::/64'],
    [undefined, undefined, 'addr:'],
  ])('%s from %s → %s', (accessor, address, key) => {
    expect(clientKey(accessor, address)).toBe(key);
  });
});
