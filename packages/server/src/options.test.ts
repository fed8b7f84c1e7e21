import { resolve } from 'node:path';
import { InvalidArgumentError } from '@rosterjs/roster';
import { describe, expect, it } from 'vitest';
import { resolveOptions } from './options.js';

describe('resolveOptions: dataDir', () => {
  it('defaults to .roster-data and resolves a relative path against the working directory', () => {
    expect(resolveOptions({}).dataDir).toBe(resolve('.roster-data'));
    expect(resolveOptions({ dataDir: 'var/roster' }).dataDir).toBe(resolve('var/roster'));
  });

  it('refuses an empty path (it would fill the working directory) or one with a NUL, naming the option', () => {
    for (const dataDir of ['', 'a\0b']) {
      expect(() => resolveOptions({ dataDir })).toThrow(InvalidArgumentError);
      expect(() => resolveOptions({ dataDir })).toThrow(
        /dataDir: must be a directory path, got ""|dataDir: must be a directory path, got "a\\u0000b"/,
      );
    }
    expect(() => resolveOptions({ dataDir: 42 as unknown as string })).toThrow(/dataDir: must be a directory path, got 42/);
  });
});
