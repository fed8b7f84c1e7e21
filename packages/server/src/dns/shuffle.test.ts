import { describe, expect, it } from 'vitest';
import { randomOrder, weightedShuffle } from './shuffle.js';

/** A seeded generator (mulberry32), so the counts below are exact for this seed. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe('answer orders', () => {
  it('randomOrder yields a permutation, lazily, each item first about equally often', () => {
    const random = seeded(1);
    const items = ['a', 'b', 'c', 'd'];
    const first = new Map<string, number>();
    for (let i = 0; i < 4000; i++) {
      const all = [...randomOrder(items, random)];
      expect([...all].sort()).toEqual(items);
      const head = randomOrder(items, random).next().value!;
      first.set(head, (first.get(head) ?? 0) + 1);
    }
    for (const item of items) expect(first.get(item)).toBeGreaterThan(850); // 1000 expected
    expect(items).toEqual(['a', 'b', 'c', 'd']); // the input is not touched
  });

  it('weightedShuffle puts an item first in proportion to its weight; weight 0 last', () => {
    const random = seeded(2);
    const items = [
      { id: 'heavy', w: 3 },
      { id: 'light', w: 1 },
      { id: 'zero', w: 0 },
    ];
    let heavy = 0;
    for (let i = 0; i < 4000; i++) {
      const order = weightedShuffle(items, (x) => x.w, random);
      expect(order.at(-1)!.id).toBe('zero');
      if (order[0]!.id === 'heavy') heavy++;
    }
    expect(heavy / 4000).toBeGreaterThan(0.7); // 0.75 expected
    expect(heavy / 4000).toBeLessThan(0.8);
  });
});
