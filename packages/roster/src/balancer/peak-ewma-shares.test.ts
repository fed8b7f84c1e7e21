/**
 * Peak EWMA with equal instances: each gets its share. Simulated on a manual clock through a real
 * createBalancer: N equally fast instances (latency ~1 ms with ±20 % jitter, as loopback calls
 * vary), where the first call on each connection also pays for connection setup (+5 ms) — the
 * cold start that used to mark one instance slow and starve it. 200 calls one at a time, and 200
 * calls with 8 in flight; every instance must get its share ±25 %. The same strategy must still
 * route around one really slow instance (simulation.test.ts and bench/slow-instance.bench.mjs).
 */
import { describe, expect, it } from 'vitest';
import type { Instance } from '../model.js';
import { createBalancer } from './create-balancer.js';
import { mulberry32 } from './mulberry32.js';
import { peakEwma } from './peak-ewma.js';
import { instances, ManualClock } from './test-support.js';

const SETUP_MS = 5;

/** Runs `calls` calls with `inFlight` at a time over `n` equal instances; returns the calls per instance. */
function shares(
  n: number,
  calls: number,
  inFlight: number,
  seed: number,
  latencyOf: (jitter: () => number, instance: Instance) => number = (jitter) => 0.8 + 0.4 * jitter(),
  tolerance?: number,
): Map<string, number> {
  const clock = new ManualClock(0);
  const balancer = createBalancer({
    clock,
    strategy: peakEwma({ random: mulberry32(seed), ...(tolerance === undefined ? {} : { tolerance }) }),
    outlierEjection: false,
  });
  const list = instances(n);
  balancer.update(list);
  const jitter = mulberry32(seed + 1000);
  // Idle connections per instance: a call that finds none opens one (and pays SETUP_MS).
  const idle = new Map<Instance, number>(list.map((i) => [i, 0]));
  const pending: { at: number; instance: Instance; latency: number }[] = [];
  const counts = new Map<string, number>(list.map((i) => [i.id, 0]));
  const finishNext = () => {
    pending.sort((a, b) => a.at - b.at);
    const done = pending.shift()!;
    clock.advance(Math.max(0, done.at - clock.now()));
    idle.set(done.instance, idle.get(done.instance)! + 1);
    balancer.finish(done.instance, { ok: true, latencyMs: done.latency });
  };
  for (let k = 0; k < calls; k++) {
    while (pending.length >= inFlight) finishNext();
    const instance = balancer.picker.pick()!;
    counts.set(instance.id, counts.get(instance.id)! + 1);
    const reuse = idle.get(instance)! > 0;
    if (reuse) idle.set(instance, idle.get(instance)! - 1);
    const latency = (reuse ? 0 : SETUP_MS) + latencyOf(jitter, instance);
    balancer.start(instance);
    pending.push({ at: clock.now() + latency, instance, latency });
  }
  while (pending.length > 0) finishNext();
  return counts;
}

describe('peakEwma: equal instances share the calls, from a cold start', () => {
  const cases = [2, 3, 5].flatMap((n) => [1, 8].flatMap((inFlight) => [1, 2, 3].map((seed) => ({ n, inFlight, seed }))));
  it.each(cases)('$n instances, $inFlight in flight, seed $seed: each gets 200/$n ± 25 %', ({ n, inFlight, seed }) => {
    const counts = shares(n, 200, inFlight, seed);
    const share = 200 / n;
    for (const [id, c] of counts) {
      expect(c, `${id}: ${c} calls of 200 (${[...counts.values()].join(' : ')})`).toBeGreaterThanOrEqual(share * 0.75);
      expect(c, `${id}: ${c} calls of 200 (${[...counts.values()].join(' : ')})`).toBeLessThanOrEqual(share * 1.25);
    }
  });
});

describe('peakEwma: sub-millisecond noise between equal instances is not a difference (tolerance)', () => {
  // Loopback calls of equal instances take 0.2–0.6 ms, and one in ten is late by 1.5 ms (GC, scheduling).
  // Judged by the ratio alone, whichever instance looked faster kept most of the calls at one in
  // flight (measured: 1 of 7 bench runs within ±25 % for 5 instances); the 1 ms tolerance treats
  // such costs as equal, and a really slow instance (simulation.test.ts) is still avoided.
  const loopback = (jitter: () => number) => 0.2 + 0.4 * jitter() + (jitter() < 0.1 ? 1.5 : 0);
  const cases = [2, 5].flatMap((n) => [1, 2, 3].map((seed) => ({ n, seed })));
  it.each(cases)('$n instances with 0.2–0.6 ms calls, one in flight, seed $seed: each gets 200/$n ± 25 %', ({ n, seed }) => {
    const counts = shares(n, 200, 1, seed, loopback);
    for (const [id, c] of counts) {
      expect(c, `${id}: ${[...counts.values()].join(' : ')}`).toBeGreaterThanOrEqual((200 / n) * 0.75);
      expect(c, `${id}: ${[...counts.values()].join(' : ')}`).toBeLessThanOrEqual((200 / n) * 1.25);
    }
  });
  it('without the tolerance the same calls are shared unevenly (the test can fail)', () => {
    const many = [2, 5].flatMap((n) => Array.from({ length: 30 }, (_, i) => ({ n, seed: i + 1 })));
    const uneven = many.filter(({ n, seed }) => {
      const counts = shares(n, 200, 1, seed, loopback, 0);
      return [...counts.values()].some((c) => c < (200 / n) * 0.75 || c > (200 / n) * 1.25);
    });
    expect(uneven.length).toBeGreaterThan(0);
  });
  it('refuses a negative tolerance, naming it', () => {
    expect(() => peakEwma({ tolerance: -1 })).toThrow(/peakEwma\.tolerance/);
  });
});

describe('peakEwma: scheduling stalls on a loaded machine do not shut an equal instance out (D141)', () => {
  // On a loaded machine a few percent of loopback calls stall for tens of ms (the process was not
  // scheduled). At one call in flight, calls rotate over the instances, so two stalls in a row hit
  // the same instance often enough: counted as a confirmed peak, they shut an equal instance out
  // for hundreds of calls (the 1 run in 7 outside ±25 % in the bench). Three slow samples in a
  // row are needed now, and the first estimate is the fastest of four samples, not three.
  // Before D141, 25 of 400 such runs of 5 instances were outside ±25 % (sim over seeds 1–400).
  const stalls = (p: number) => (jitter: () => number) => 0.2 + 0.4 * jitter() + (jitter() < p ? 10 + 20 * jitter() : 0);
  const outside = (counts: Map<string, number>, n: number) => [...counts.values()].filter((c) => Math.abs(c / (200 / n) - 1) > 0.25);
  it.each([2, 3, 5])(
    '%i instances, one in flight, 2 in 100 calls stalled 10–30 ms: 100 of 100 seeded runs within a quarter of the share',
    (n) => {
      const bad = Array.from({ length: 100 }, (_, i) => i + 1).filter(
        (seed) => outside(shares(n, 200, 1, seed, stalls(0.02)), n).length > 0,
      );
      expect(bad, `seeds outside ±25 %: ${bad.join(', ')}`).toEqual([]);
    },
  );
  it('5 instances, 5 % of calls stalled: at least 97 of 100 seeded runs within ±25 % (was about 75)', () => {
    const bad = Array.from({ length: 100 }, (_, i) => i + 1).filter((seed) => outside(shares(5, 200, 1, seed, stalls(0.05)), 5).length > 0);
    expect(bad.length).toBeLessThanOrEqual(3);
  });
});

describe('peakEwma: a slow instance stays avoided with many calls in flight (D143)', () => {
  // With 16 calls in flight, the calls a slow instance gets while it is re-tried overlap. When
  // overlapping slow samples could not confirm a peak (D141's first form), the estimate of a
  // 20 ms instance crept up by 10 % a sample and it got 1.6 % of the calls: enough to set the p99.
  const oneSlow = (jitter: () => number, instance: Instance) => 0.2 + 0.4 * jitter() + (instance.id === 'i0' ? 20 : 0);
  it.each([1, 2, 3])('5 instances, one 20 ms slower, 16 in flight, seed %i: the slow one gets under 1 % of 4,000 calls', (seed) => {
    const counts = shares(5, 4000, 16, seed, oneSlow);
    const slow = counts.get('i0')!;
    expect(slow / 4000, `calls to the slow instance: ${[...counts.values()].join(' : ')}`).toBeLessThan(0.01);
  });
});
