import { describe, expect, it } from 'vitest';
import { leastRequest } from './least-request.js';
import { mulberry32 } from './mulberry32.js';
import { histogram, inputOf, instance, instances } from './test-support.js';

describe('leastRequest (P2C)', () => {
  const rows = [
    { name: 'fewer in flight wins', inflight: [5, 0], weights: [1, 1], winner: 'b' },
    { name: 'fewer in flight wins, other order', inflight: [0, 5], weights: [1, 1], winner: 'a' },
    { name: 'weight scales capacity: 3 in flight at weight 4 beats 1 at weight 1', inflight: [3, 1], weights: [4, 1], winner: 'a' },
    { name: 'weight scales capacity: 3 in flight at weight 2 loses to 0 at weight 1', inflight: [3, 0], weights: [2, 1], winner: 'b' },
  ];
  it.each(rows)('$name', ({ inflight, weights, winner }) => {
    const list = [instance('a'), instance('b')];
    const input = inputOf(list, { weights, loads: inflight.map((n) => ({ inflight: n, latencyMs: Number.NaN, latencyAt: 0 })) });
    const picker = leastRequest({ random: mulberry32(7) }).build(input);
    // With two instances both are always sampled: the choice is deterministic.
    for (let k = 0; k < 20; k++) expect(picker.pick()?.id).toBe(winner);
  });

  it('samples two distinct instances (one instance is never compared with itself)', () => {
    const list = instances(3);
    const loads = [0, 9, 9].map((n) => ({ inflight: n, latencyMs: Number.NaN, latencyAt: 0 }));
    let u = 0;
    const draws = [0, 0.99]; // a = 0; b = 0 + 1 + floor(0.99 × 2) = 2
    const picker = leastRequest({ random: () => draws[u++ % 2]! }).build(inputOf(list, { loads }));
    expect(picker.pick()?.id).toBe('i0');
  });

  it('prefers less loaded instances, in proportion to how many it beats', () => {
    const list = instances(10);
    // i0 carries 20 calls in flight, the rest 0..8
    const loads = list.map((_, i) => ({ inflight: i === 0 ? 20 : i - 1, latencyMs: Number.NaN, latencyAt: 0 }));
    const picker = leastRequest({ random: mulberry32(3) }).build(inputOf(list, { loads }));
    const counts = histogram(() => picker.pick(), 100_000);
    const share = (i: number) => (counts.get(list[i]!.id) ?? 0) / 100_000;
    expect(share(0)).toBe(0); // the most loaded loses every comparison
    // Instance k of the ranked 1..9 wins when drawn with a more loaded one: 2·(10-k)/90.
    for (let i = 1; i < 10; i++) expect(share(i)).toBeCloseTo((2 * (10 - i)) / 90, 2);
  });

  it('reads loads live: the picker follows in-flight changes without a rebuild', () => {
    const list = [instance('a'), instance('b')];
    const input = inputOf(list);
    const picker = leastRequest({ random: mulberry32(1) }).build(input);
    input.loads[0]!.inflight = 3;
    expect(picker.pick()?.id).toBe('b');
    input.loads[1]!.inflight = 10;
    expect(picker.pick()?.id).toBe('a');
  });
});
