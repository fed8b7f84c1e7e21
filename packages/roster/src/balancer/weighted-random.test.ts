import { describe, expect, it } from 'vitest';
import { mulberry32 } from './mulberry32.js';
import { chiSquare, chiSquareLimit, histogram, inputOf, instance } from './test-support.js';
import { weightedRandom } from './weighted-random.js';

describe('weightedRandom', () => {
  const rows = [
    { name: 'equal weights', weights: [1, 1, 1, 1] },
    { name: '5:1:1', weights: [5, 1, 1] },
    { name: 'one heavy among many', weights: [100, 1, 1, 1, 1, 1, 1, 1, 1, 1] },
    { name: 'fractional (slow start)', weights: [0.1, 1, 2.5] },
    { name: 'extreme range', weights: [65535, 1, 300] },
    { name: 'single instance', weights: [7] },
  ];
  it.each(rows)('respects weights: $name (chi-square, seeded)', ({ weights }) => {
    const list = weights.map((weight, i) => instance(`w${i}`, { weight }));
    const picker = weightedRandom({ random: mulberry32(42) }).build(inputOf(list));
    const picks = 200_000;
    const counts = histogram(() => picker.pick(), picks);
    const total = weights.reduce((a, b) => a + b, 0);
    const expected = new Map(list.map((i) => [i.id, i.weight / total]));
    if (weights.length === 1) expect(counts.get('w0')).toBe(picks);
    else expect(chiSquare(counts, expected, picks)).toBeLessThan(chiSquareLimit(weights.length - 1));
  });

  it('uses the effective weights it is given, not Instance.weight', () => {
    const list = [instance('a', { weight: 1 }), instance('b', { weight: 1 })];
    const picker = weightedRandom({ random: mulberry32(1) }).build(inputOf(list, { weights: [9, 1] }));
    const counts = histogram(() => picker.pick(), 100_000);
    expect((counts.get('a') ?? 0) / 100_000).toBeCloseTo(0.9, 2);
  });

  it('covers the whole unit interval exactly (alias table sums to the weights)', () => {
    // Walking u over a fine grid must reproduce the probabilities almost exactly.
    const weights = [3, 1, 6];
    const list = weights.map((weight, i) => instance(`w${i}`, { weight }));
    let u = 0;
    const picker = weightedRandom({ random: () => u }).build(inputOf(list));
    const counts = new Map<string, number>();
    const steps = 100_000;
    for (let k = 0; k < steps; k++) {
      u = (k + 0.5) / steps;
      const id = picker.pick()!.id;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    expect(counts.get('w0')! / steps).toBeCloseTo(0.3, 3);
    expect(counts.get('w1')! / steps).toBeCloseTo(0.1, 3);
    expect(counts.get('w2')! / steps).toBeCloseTo(0.6, 3);
  });
});
