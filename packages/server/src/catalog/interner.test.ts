import { describe, expect, it } from 'vitest';
import { Interner } from './interner.js';

describe('Interner', () => {
  it('returns the first value made for a key, and makes it only once', () => {
    const i = new Interner<{ v: number }>(10);
    let made = 0;
    const a = i.intern('k', () => ({ v: ++made }));
    const b = i.intern('k', () => ({ v: ++made }));
    expect(b).toBe(a);
    expect(made).toBe(1);
  });

  it('never holds more than two generations of `limit` values, whatever comes in', () => {
    const i = new Interner<string>(100);
    for (let k = 0; k < 10_000; k++) i.intern(`unique-${k}`, () => `v${k}`);
    expect(i.size).toBeLessThanOrEqual(200);
  });

  it('keeps a value in steady use shared across generations', () => {
    const i = new Interner<object>(8);
    const hot = i.intern('hot', () => ({}));
    for (let k = 0; k < 1000; k++) {
      i.intern(`cold-${k}`, () => ({}));
      if (k % 4 === 0) expect(i.intern('hot', () => ({}))).toBe(hot);
    }
  });

  it('clear() forgets every value', () => {
    const i = new Interner<object>(8);
    const a = i.intern('k', () => ({}));
    i.clear();
    expect(i.size).toBe(0);
    expect(i.intern('k', () => ({}))).not.toBe(a);
  });
});
