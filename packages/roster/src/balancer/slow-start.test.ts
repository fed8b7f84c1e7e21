import { describe, expect, it } from 'vitest';
import { slowStart } from './slow-start.js';

describe('slowStart.factor', () => {
  const rows = [
    { name: 'linear, at the start', options: { window: 10_000 }, age: 0, factor: 0.1 },
    { name: 'linear, below the floor', options: { window: 10_000 }, age: 500, factor: 0.1 },
    { name: 'linear, halfway', options: { window: 10_000 }, age: 5_000, factor: 0.5 },
    { name: 'linear, at the end', options: { window: 10_000 }, age: 10_000, factor: 1 },
    { name: 'after the window', options: { window: '10s' }, age: 60_000, factor: 1 },
    { name: 'aggression 2 ramps faster early', options: { window: 10_000, aggression: 2 }, age: 2_500, factor: 0.5 },
    { name: 'minWeightPercent 50', options: { window: 10_000, minWeightPercent: 50 }, age: 1_000, factor: 0.5 },
    { name: 'never joined (first list)', options: { window: 10_000 }, age: Number.POSITIVE_INFINITY, factor: 1 },
  ];
  it.each(rows)('$name', ({ options, age, factor }) => {
    expect(slowStart(options).factor(age)).toBeCloseTo(factor, 9);
  });

  it('steps a tenth of the window', () => {
    expect(slowStart({ window: '30s' }).stepMs).toBe(3_000);
  });

  it.each([
    { options: {}, field: 'slowStart.window' },
    { options: { window: 0 }, field: 'slowStart.window' },
    { options: { window: '1x' }, field: 'slowStart.window' },
    { options: { window: 1000, minWeightPercent: 0 }, field: 'slowStart.minWeightPercent' },
    { options: { window: 1000, aggression: 0 }, field: 'slowStart.aggression' },
  ])('rejects $field = $options', ({ options, field }) => {
    expect(() => slowStart(options as never)).toThrow(expect.objectContaining({ field }));
  });
});
