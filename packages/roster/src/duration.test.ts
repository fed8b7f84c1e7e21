import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatGoDuration, parseGoDuration, toMilliseconds } from './duration.js';

describe('parseGoDuration (Go time.ParseDuration)', () => {
  it.each([
    ['0', 0n],
    ['+0', 0n],
    ['10s', 10_000_000_000n],
    ['3s', 3_000_000_000n],
    ['90m', 5_400_000_000_000n],
    ['1m30s', 90_000_000_000n],
    ['500ms', 500_000_000n],
    ['120000ms', 120_000_000_000n],
    ['1.5h', 5_400_000_000_000n],
    ['.5s', 500_000_000n],
    ['1.s', 1_000_000_000n],
    ['1us', 1000n],
    ['1µs', 1000n],
    ['1μs', 1000n],
    ['7ns', 7n],
    ['-1m', -60_000_000_000n],
    ['1h2m3s4ms5us6ns', 3_723_004_005_006n],
    ['0.000000001s', 1n],
    ['9223372036854775807ns', 9_223_372_036_854_775_807n],
  ])('%s', (input, ns) => {
    expect(parseGoDuration(input)).toEqual({ ok: true, ns });
  });

  it.each([
    ['', 'time: invalid duration ""'],
    ['s', 'time: invalid duration "s"'],
    ['.s', 'time: invalid duration ".s"'],
    ['10', 'time: missing unit in duration "10"'],
    ['1x', 'time: unknown unit "x" in duration "1x"'],
    ['1 s', 'time: unknown unit " s" in duration "1 s"'],
    ['-', 'time: invalid duration "-"'],
    ['9223372036854775808ns', 'time: invalid duration "9223372036854775808ns"'],
    ['3000000h', 'time: invalid duration "3000000h"'],
  ])('rejects %j', (input, error) => {
    expect(parseGoDuration(input)).toEqual({ ok: false, error });
  });
});

describe('formatGoDuration (Go Duration.String)', () => {
  it.each([
    [0n, '0s'],
    [1n, '1ns'],
    [1500n, '1.5µs'],
    [500_000_000n, '500ms'],
    [1_500_000_000n, '1.5s'],
    [10_000_000_000n, '10s'],
    [90_000_000_000n, '1m30s'],
    [3_600_000_000_000n, '1h0m0s'],
    [-60_000_000_000n, '-1m0s'],
    [3_723_004_005_006n, '1h2m3.004005006s'],
  ])('%s ns → %s', (ns, text) => {
    expect(formatGoDuration(ns)).toBe(text);
  });

  it('round-trips through parseGoDuration for any int64-range value', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 62n), max: 2n ** 62n }), (ns) => {
        expect(parseGoDuration(formatGoDuration(ns))).toEqual({ ok: true, ns });
      }),
    );
  });
});

describe('toMilliseconds', () => {
  it('takes numbers as milliseconds and strings as Go durations', () => {
    expect(toMilliseconds(250)).toEqual({ ok: true, ms: 250 });
    expect(toMilliseconds('2s')).toEqual({ ok: true, ms: 2000 });
    expect(toMilliseconds(Number.POSITIVE_INFINITY)).toMatchObject({ ok: false });
    expect(toMilliseconds(null)).toEqual({ ok: false, error: 'must be milliseconds (number) or a duration string like "10s", got null' });
  });
});
