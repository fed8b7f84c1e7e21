import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { startTtlTimer, type TtlTimer } from '@rosterjs/roster/health';
import { FakeClock } from '@rosterjs/roster/testing';
import { type TtlDeadline, TtlDeadlines } from './ttl-deadlines.js';

function setup() {
  const clock = new FakeClock(0);
  const expired: Array<[string, number]> = [];
  const errors: unknown[] = [];
  const ttls = new TtlDeadlines({
    clock,
    onExpire: (d) => expired.push([d.id, clock.now()]),
    onError: (e) => errors.push(e),
  });
  return { clock, expired, errors, ttls };
}

describe('TtlDeadlines', () => {
  it('expires a check once, at now + TTL, not a millisecond before', async () => {
    const { clock, expired, ttls } = setup();
    const d = ttls.start('a', 10_000);
    await clock.advance(9_999);
    expect(expired).toEqual([]);
    expect(d.expired).toBe(false);
    await clock.advance(1);
    expect(expired).toEqual([['a', 10_000]]);
    expect(d.expired).toBe(true);
    await clock.advance(100_000);
    expect(expired).toHaveLength(1);
    expect(clock.pending).toBe(0);
    expect(ttls.size).toBe(0);
  });

  it('adds the grace period to the first deadline only', async () => {
    const { clock, expired, ttls } = setup();
    const d = ttls.start('a', 10_000, 10_000);
    await clock.advance(19_999);
    expect(expired).toEqual([]);
    await clock.advance(1);
    expect(expired).toEqual([['a', 20_000]]);
    d.renew();
    await clock.advance(10_000);
    expect(expired).toEqual([
      ['a', 20_000],
      ['a', 30_000],
    ]);
  });

  it('moves the deadline on every renewal without touching the timer', async () => {
    const { clock, expired, ttls } = setup();
    const d = ttls.start('a', 10_000);
    for (let i = 0; i < 5; i++) {
      await clock.advance(9_000);
      d.renew();
      expect(d.deadline).toBe(clock.now() + 10_000);
      expect(clock.pending).toBe(1);
    }
    await clock.advance(9_999);
    expect(expired).toEqual([]);
    await clock.advance(1);
    expect(expired).toEqual([['a', 55_000]]);
  });

  it('moves a renewed check without delaying an earlier deadline', async () => {
    const { clock, expired, ttls } = setup();
    const a = ttls.start('a', 13);
    ttls.start('b', 1, 20);
    await clock.advance(9);
    a.renew();
    // At 13 a moves to 22's bucket; b, due at 21, keeps its time.
    await clock.advance(100);
    expect(expired).toEqual([
      ['b', 21],
      ['a', 22],
    ]);
  });

  it('arms an expired check again when it is renewed', async () => {
    const { clock, expired, ttls } = setup();
    const d = ttls.start('a', 1_000);
    await clock.advance(1_500);
    d.renew();
    expect(d.expired).toBe(false);
    await clock.advance(1_000);
    expect(expired).toEqual([
      ['a', 1_000],
      ['a', 2_500],
    ]);
  });

  it('never expires a stopped check, and the others of its bucket keep theirs', async () => {
    const { clock, expired, ttls } = setup();
    const ds = ['a', 'b', 'c', 'd', 'e'].map((id) => ttls.start(id, 5_000));
    ds[1]!.stop();
    ds[4]!.stop();
    ds[1]!.stop();
    ds[1]!.renew();
    await clock.advance(5_000);
    expect(expired.map(([id]) => id).sort()).toEqual(['a', 'c', 'd']);
    expect(ds[1]!.expired).toBe(false);
  });

  it('runs thousands of checks with different TTLs on one timer, each expiring at its own deadline', async () => {
    const { clock, expired, ttls } = setup();
    for (let i = 0; i < 5_000; i++) ttls.start(`c${i}`, 1_000 + (i % 997) * 7);
    expect(clock.pending).toBe(1);
    expect(ttls.size).toBe(5_000);
    await clock.advance(10_000);
    expect(expired).toHaveLength(5_000);
    for (const [id, at] of expired) expect(at).toBe(1_000 + (Number(id.slice(1)) % 997) * 7);
    expect(clock.pending).toBe(0);
  });

  it('isolates an onExpire that throws, and heeds what an earlier expiry of the round stopped or renewed', async () => {
    const clock = new FakeClock(0);
    const seen: string[] = [];
    const errors: unknown[] = [];
    const byId = new Map<string, TtlDeadline>();
    const ttls = new TtlDeadlines({
      clock,
      onExpire: (d) => {
        seen.push(d.id);
        if (d.id === 'a') throw new Error('listener failed');
        // Expiring b deregisters c (its instance) and renews d: neither, due in the same round, expires then.
        if (d.id === 'b') {
          byId.get('c')!.stop();
          byId.get('d')!.renew();
        }
      },
      onError: (e) => errors.push(e),
    });
    for (const id of ['a', 'b', 'c', 'd']) byId.set(id, ttls.start(id, 1_000));
    await clock.advance(1_000);
    expect(seen).toEqual(['a', 'b']);
    expect(errors).toEqual([new Error('listener failed')]);
    await clock.advance(1_000);
    expect(seen).toEqual(['a', 'b', 'd']);
  });

  it('expires nothing after close', async () => {
    const { clock, expired, ttls } = setup();
    ttls.start('a', 1_000);
    ttls.close();
    await clock.advance(5_000);
    expect(expired).toEqual([]);
    expect(clock.pending).toBe(0);
  });

  it('keeps its heap bounded when checks come and go long before their deadlines', () => {
    const { ttls } = setup();
    for (let i = 0; i < 20_000; i++) ttls.start(`c${i}`, 1_000_000 + i).stop();
    expect(ttls.size).toBe(0);
    expect(ttls.heapSize).toBeLessThanOrEqual(65);
  });

  it('expires what a timer of its own per check (startTtlTimer) expires, when it does', () => {
    type Op =
      | { kind: 'start'; id: number; ttl: number; grace: number }
      | { kind: 'renew'; id: number }
      | { kind: 'stop'; id: number }
      | { kind: 'advance'; ms: number };
    const id = fc.integer({ min: 0, max: 7 });
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('start' as const), id, ttl: fc.integer({ min: 1, max: 50 }), grace: fc.constantFrom(0, 0, 20) }),
      fc.record({ kind: fc.constant('renew' as const), id }),
      fc.record({ kind: fc.constant('stop' as const), id }),
      fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 40 }) }),
    );
    return fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 60 }), async (ops) => {
        const wheelClock = new FakeClock(0);
        const modelClock = new FakeClock(0);
        const got: string[] = [];
        const want: string[] = [];
        const ttls = new TtlDeadlines({ clock: wheelClock, onExpire: (d) => got.push(`${d.id}@${wheelClock.now()}`) });
        const wheel = new Map<number, TtlDeadline>();
        const model = new Map<number, TtlTimer>();
        for (const o of ops) {
          if (o.kind === 'start') {
            // A check started again (re-registered) replaces its previous deadline.
            wheel.get(o.id)?.stop();
            model.get(o.id)?.stop();
            wheel.set(o.id, ttls.start(String(o.id), o.ttl, o.grace));
            model.set(
              o.id,
              startTtlTimer({
                ttlMs: o.ttl,
                graceMs: o.grace,
                clock: modelClock,
                onExpire: () => want.push(`${o.id}@${modelClock.now()}`),
              }),
            );
          } else if (o.kind === 'renew') {
            wheel.get(o.id)?.renew();
            model.get(o.id)?.renew();
          } else if (o.kind === 'stop') {
            wheel.get(o.id)?.stop();
            model.get(o.id)?.stop();
          } else {
            await wheelClock.advance(o.ms);
            await modelClock.advance(o.ms);
          }
          expect(got.sort()).toEqual(want.sort());
        }
        await wheelClock.advance(1_000);
        await modelClock.advance(1_000);
        expect(got.sort()).toEqual(want.sort());
      }),
      { numRuns: 1000 },
    );
  });
});
