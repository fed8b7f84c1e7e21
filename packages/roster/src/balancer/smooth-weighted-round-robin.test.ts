import { describe, expect, it } from 'vitest';
import { smoothWeightedRoundRobin } from './smooth-weighted-round-robin.js';
import { inputOf, instance } from './test-support.js';

const fromStart = () => smoothWeightedRoundRobin({ random: () => 0 });

describe('smoothWeightedRoundRobin', () => {
  const rows = [
    { name: 'nginx example {5,1,1}', weights: { a: 5, b: 1, c: 1 }, expected: 'aabacaa' },
    { name: 'equal weights rotate', weights: { a: 1, b: 1, c: 1 }, expected: 'abcabc' },
    { name: 'common divisor is reduced {10,2,2}', weights: { a: 10, b: 2, c: 2 }, expected: 'aabacaa' },
    { name: '{2,1}', weights: { a: 2, b: 1 }, expected: 'abaaba' },
    { name: '{3,2}', weights: { a: 3, b: 2 }, expected: 'ababaababa' },
    { name: '{5,1} (table)', weights: { a: 5, b: 1 }, expected: 'aaabaaaaab' },
    { name: 'fractional weights, O(n) step, same sequence {2.5,0.5}', weights: { a: 2.5, b: 0.5 }, expected: 'aaabaaaaab' },
  ];
  it.each(rows)('$name → $expected', ({ weights, expected }) => {
    const list = Object.entries(weights).map(([id, weight]) => instance(id, { weight }));
    const picker = fromStart().build(inputOf(list));
    expect(Array.from(expected, () => picker.pick()!.id).join('')).toBe(expected);
  });

  it.each([
    { name: 'table', weights: [7, 3, 1, 1, 2] },
    { name: 'step (period too long)', weights: [65_521, 65_519, 3] },
  ])('gives each instance exactly its weight per period ($name)', ({ weights }) => {
    const list = weights.map((weight, i) => instance(`w${i}`, { weight }));
    const picker = smoothWeightedRoundRobin({ random: () => 0.37 }).build(inputOf(list));
    const total = weights.reduce((a, b) => a + b, 0);
    const counts = new Map<string, number>();
    for (let k = 0; k < total; k++) {
      const id = picker.pick()!.id;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    expect(list.map((i) => counts.get(i.id))).toEqual(weights);
  });

  it('never picks the heavy instance more than ceil(w/total × k) + 1 times in any prefix (smoothness)', () => {
    const list = [instance('a', { weight: 5 }), instance('b', { weight: 1 }), instance('c', { weight: 1 })];
    const picker = fromStart().build(inputOf(list));
    let a = 0;
    for (let k = 1; k <= 70; k++) {
      if (picker.pick()!.id === 'a') a++;
      expect(a).toBeLessThanOrEqual(Math.ceil((5 / 7) * k) + 1);
    }
  });
});
