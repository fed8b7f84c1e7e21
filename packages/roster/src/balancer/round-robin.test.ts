import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { roundRobin } from './round-robin.js';
import { inputOf, instances } from './test-support.js';

describe('roundRobin', () => {
  const rows = [
    { name: 'one instance', n: 1, random: 0, picks: 3, expected: ['i0', 'i0', 'i0'] },
    { name: 'three from the start', n: 3, random: 0, picks: 7, expected: ['i0', 'i1', 'i2', 'i0', 'i1', 'i2', 'i0'] },
    { name: 'random start in the middle', n: 3, random: 0.5, picks: 4, expected: ['i1', 'i2', 'i0', 'i1'] },
    { name: 'random just below 1 starts at the last', n: 3, random: 0.999, picks: 2, expected: ['i2', 'i0'] },
  ];
  it.each(rows)('$name', ({ n, random, picks, expected }) => {
    const picker = roundRobin({ random: () => random }).build(inputOf(instances(n)));
    expect(Array.from({ length: picks }, () => picker.pick()?.id)).toEqual(expected);
  });

  it('ignores weights and keys: every instance exactly once per round', () => {
    const list = instances(10).map((i, k) => ({ ...i, weight: k + 1 }));
    const picker = roundRobin({ random: () => 0.3 }).build(inputOf(list));
    const seen = Array.from({ length: 10 }, (_, k) => picker.pick(`key-${k}`)?.id).sort();
    expect(seen).toEqual(list.map((i) => i.id));
  });

  it('exposes the instances it picks from', () => {
    const list = instances(4);
    expect(roundRobin().build(inputOf(list)).instances).toBe(list);
  });

  it('rejects a random that is not a function', () => {
    expect(() => roundRobin({ random: 0.5 as unknown as () => number })).toThrow(InvalidArgumentError);
    expect(() => roundRobin({ random: 0.5 as unknown as () => number })).toThrow(/roundRobin\.random/);
  });
});
