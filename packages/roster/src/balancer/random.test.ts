import { describe, expect, it } from 'vitest';
import { mulberry32 } from './mulberry32.js';
import { random } from './random.js';
import { chiSquare, chiSquareLimit, histogram, inputOf, instances } from './test-support.js';

describe('random', () => {
  it.each([2, 5, 10, 100])('is uniform over %i instances (chi-square, seeded)', (n) => {
    const list = instances(n);
    const picker = random({ random: mulberry32(n) }).build(inputOf(list));
    const picks = 2000 * n;
    const counts = histogram(() => picker.pick(), picks);
    const expected = new Map(list.map((i) => [i.id, 1 / n]));
    expect(counts.size).toBe(n);
    expect(chiSquare(counts, expected, picks)).toBeLessThan(chiSquareLimit(n - 1));
  });

  it.each([
    { u: 0, id: 'i0' },
    { u: 0.249, id: 'i0' },
    { u: 0.25, id: 'i1' },
    { u: 0.9999999, id: 'i3' },
  ])('maps random $u to $id of 4', ({ u, id }) => {
    expect(
      random({ random: () => u })
        .build(inputOf(instances(4)))
        .pick()?.id,
    ).toBe(id);
  });
});
