import { describe, expect, it } from 'vitest';
import { systemClock } from '../clock.js';
import { InvalidArgumentError } from '../errors.js';
import * as o from './options.js';

function error(run: () => unknown): InvalidArgumentError {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidArgumentError);
    return e as InvalidArgumentError;
  }
  throw new Error('no error thrown');
}

describe('options vocabulary', () => {
  const shape = {
    timeout: o.withDefault(o.duration(1), 10_000),
    attempts: o.optional(o.integer(1, 10)),
    onEvent: o.optional(o.fn()),
    clock: o.withDefault(o.clock, systemClock),
    backoff: o.backoff({ baseMs: 100, maxMs: 10_000 }),
    mode: o.optional(o.oneOf(['a', 'b'])),
    nested: o.optional(o.object({ ratio: o.number(0, 1) })),
    tags: o.optional(o.arrayOf(o.string(1, 5))),
  };

  it('fills defaults, parses durations, and keeps given values', () => {
    const parsed = o.options({ timeout: '1.5s', attempts: 3, mode: 'b', nested: { ratio: 0.5 } }, shape);
    expect(parsed).toEqual({
      timeout: 1500,
      attempts: 3,
      clock: systemClock,
      backoff: { baseMs: 100, maxMs: 10_000 },
      mode: 'b',
      nested: { ratio: 0.5 },
    });
    expect(o.options(undefined, shape).timeout).toBe(10_000);
  });

  it.each([
    [null, 'options', /options object, got null/],
    [[], 'options', /options object, got an array/],
    [{ atempts: 1 }, 'atempts', /unknown option \(known: timeout, attempts/],
    [{ nested: { ratio: 0.5, ration: 1 } }, 'nested.ration', /unknown option/],
    [{ timeout: 3e9 }, 'timeout', /between 1 ms and 2147483647 ms/],
    [{ timeout: 'soon' }, 'timeout', /invalid duration/],
    [{ timeout: Number.NaN }, 'timeout', /finite/],
    [{ attempts: 1.5 }, 'attempts', /integer/],
    [{ attempts: '3' }, 'attempts', /must be a number, got "3"/],
    [{ onEvent: 'x' }, 'onEvent', /must be a function/],
    [{ clock: {} }, 'clock.now', /must be a function/],
    [{ clock: { now: () => 0, setTimeout: () => 0 } }, 'clock.clearTimeout', /must be a function/],
    [{ backoff: { baseMs: 0 } }, 'backoff.baseMs', /between 1 ms/],
    [{ backoff: { baseMs: 500, maxMs: 100 } }, 'backoff.maxMs', /≥ baseMs/],
    [{ backoff: { base: 5 } }, 'backoff.base', /unknown option/],
    [{ mode: 'c' }, 'mode', /one of "a", "b"/],
    [{ nested: { ratio: 2 } }, 'nested.ratio', /between 0 and 1/],
    // eslint-disable-next-line no-sparse-arrays -- a hole is the point of this case
    [{ tags: [, 'a'] }, 'tags[0]', /hole/],
    [{ tags: ['toolong'] }, 'tags[0]', /1–5 characters/],
  ])('%j is refused naming %s', (value, field, message) => {
    const e = error(() => o.options(value, shape));
    expect(e.field).toBe(field);
    expect(e.message).toMatch(message);
  });

  it('backoff with only baseMs keeps a ceiling at least as large', () => {
    expect(o.options({ backoff: { baseMs: 20_000 } }, shape).backoff).toEqual({ baseMs: 20_000, maxMs: 20_000 });
  });

  it('signal accepts only a real AbortSignal', () => {
    expect(o.signal(new AbortController().signal, 'signal')).toBeInstanceOf(AbortSignal);
    expect(error(() => o.signal({ aborted: false }, 'signal')).field).toBe('signal');
  });

  it('url checks the scheme', () => {
    expect(o.url(['http:'])('http://127.0.0.1:1', 'url').port).toBe('1');
    expect(error(() => o.url(['http:'])('ftp://x', 'url')).message).toMatch(/scheme must be http:\/\//);
    expect(error(() => o.url(['http:'])('::', 'url')).message).toMatch(/is not a URL/);
  });

  it('describe never prints a whole object', () => {
    expect(o.describe(new Map())).toBe('a Map');
    expect(o.describe({ secret: 'x' })).toBe('an object');
    expect(o.describe('x'.repeat(100))).toMatch(/…$/);
  });
});
