/** The blocking-query index cursor, table-driven: answers in, (index to send, step) out. */
import { describe, expect, it } from 'vitest';
import { BlockingIndex, returnedEarly } from './blocking-index.js';

interface Row {
  readonly name: string;
  /** X-Consul-Index of each answer, in order; 'x' is a failed query. */
  readonly answers: readonly (number | 'x')[];
  /** After each answer: [index sent next, reset, moved, revision] (after a failure: the index only). */
  readonly expected: readonly (readonly [number, boolean, boolean, number] | number)[];
}

const rows: Row[] = [
  {
    name: 'first answer, then changes, then a timeout without change',
    answers: [10, 12, 12, 15],
    expected: [
      [10, false, true, 10],
      [12, false, true, 12],
      [12, false, false, 12],
      [15, false, true, 15],
    ],
  },
  {
    name: 'index goes backwards (server restarted empty): reset to 0, revisions keep increasing',
    answers: [500, 3, 3, 4],
    expected: [
      [500, false, true, 500],
      [0, true, true, 501],
      [3, false, true, 502],
      [4, false, true, 503],
    ],
  },
  {
    name: 'index 0 or garbage is clamped to 1 (never a non-blocking spin)',
    answers: [0, 0, Number.NaN, -5],
    expected: [
      [1, false, true, 1],
      [1, false, false, 1],
      [1, false, false, 1],
      [1, false, false, 1],
    ],
  },
  {
    name: 'after a failed query: ask without index; an answer at the same index is a possible change (a restarted server counted back up)',
    answers: [3, 'x', 3, 'x', 2, 5],
    expected: [[3, false, true, 3], 0, [3, false, true, 4], 0, [0, true, true, 5], [5, false, true, 8]],
  },
  {
    name: 'after a reset the offset stays: later revisions keep their distance',
    answers: [5, 2, 9],
    expected: [
      [5, false, true, 5],
      [0, true, true, 6],
      [9, false, true, 13],
    ],
  },
];

describe('BlockingIndex', () => {
  it.each(rows)('$name', ({ answers, expected }) => {
    const cursor = new BlockingIndex();
    expect(cursor.index).toBe(0);
    answers.forEach((answer, n) => {
      if (answer === 'x') {
        cursor.interrupted();
        expect(cursor.index, `failure ${n}`).toBe(expected[n]);
        return;
      }
      const step = cursor.advance(answer);
      expect([cursor.index, step.reset, step.moved, step.revision], `answer ${n}: ${answer}`).toEqual(expected[n]);
    });
  });

  it('returnedEarly: only an unmoved answer to a blocking query, before half its wait', () => {
    const unmoved = { reset: false, moved: false, revision: 3 };
    const moved = { reset: false, moved: true, revision: 4 };
    expect(returnedEarly(unmoved, 3, 10, 60_000)).toBe(true);
    expect(returnedEarly(unmoved, 3, 30_000, 60_000)).toBe(false); // a timeout
    expect(returnedEarly(moved, 3, 10, 60_000)).toBe(false); // a change
    expect(returnedEarly(unmoved, 0, 10, 60_000)).toBe(false); // not a blocking query
  });
});
