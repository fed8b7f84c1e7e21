/** RateMeter: marks per second averaged over the complete seconds of its window. */
import { describe, expect, it } from 'vitest';
import { RateMeter } from './rate-meter.js';

describe('RateMeter', () => {
  it('averages complete seconds over the window and forgets what left it', () => {
    let now = 0;
    const m = new RateMeter(() => now, 10);
    for (let i = 0; i < 30; i++) m.mark();
    expect(m.perSecond()).toBe(0); // the current second is not complete yet
    now = 1000;
    expect(m.perSecond()).toBe(3);
    now = 5500;
    for (let i = 0; i < 10; i++) m.mark();
    now = 6000;
    expect(m.perSecond()).toBe(4);
    now = 11_000;
    expect(m.perSecond()).toBe(1);
    now = 100_000;
    expect(m.perSecond()).toBe(0);
  });
});
