import { describe, expect, it } from 'vitest';
import { Latest } from './latest.js';

describe('Latest', () => {
  it('keeps only the newest untaken value', async () => {
    const ch = new Latest<number>();
    ch.push(1);
    ch.push(2);
    ch.push(3);
    expect(await ch.next()).toEqual({ value: 3, done: false });
  });

  it('hands a pushed value straight to a waiting consumer', async () => {
    const ch = new Latest<number>();
    const waiting = ch.next();
    ch.push(7);
    expect(await waiting).toEqual({ value: 7, done: false });
  });

  it('delivers the pending value before ending', async () => {
    const ch = new Latest<number>();
    ch.push(1);
    ch.end();
    expect(await ch.next()).toEqual({ value: 1, done: false });
    expect(await ch.next()).toEqual({ value: undefined, done: true });
    ch.push(2);
    expect(await ch.next()).toEqual({ value: undefined, done: true });
  });

  it('ends a waiting consumer, with the error when given one', async () => {
    const ok = new Latest<number>();
    const waiting = ok.next();
    ok.end();
    expect(await waiting).toEqual({ value: undefined, done: true });
    const bad = new Latest<number>();
    const failing = bad.next();
    bad.end(new Error('boom'));
    await expect(failing).rejects.toThrow('boom');
  });

  it('for-await stops on end', async () => {
    const ch = new Latest<number>();
    const seen: number[] = [];
    const loop = (async () => {
      for await (const v of ch) seen.push(v);
    })();
    ch.push(1);
    await new Promise((r) => setImmediate(r));
    ch.push(2);
    await new Promise((r) => setImmediate(r));
    ch.end();
    await loop;
    expect(seen).toEqual([1, 2]);
  });
});
