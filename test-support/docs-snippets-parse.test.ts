/** The docs test's own pieces: block extraction and markers, console output matching, port rewriting. */
import { describe, expect, it } from 'vitest';
import { consoleSteps, extractBlocks, outputMatches, rewritePorts } from './docs-snippets.js';

describe('extractBlocks', () => {
  const md = [
    '# t',
    '```sh',
    'echo 1',
    '```',
    '<!-- not-run: needs a cluster -->',
    '```ts',
    'x',
    '```',
    '<!-- run: background -->',
    '```js',
    'y',
    '```',
    '```',
    'diagram',
    '```',
    '```go',
    'z',
    '```',
  ].join('\n');
  it('finds every block with its language, line, kind and marker', () => {
    const blocks = extractBlocks('f.md', md);
    expect(blocks.map((b) => [b.line, b.lang, b.kind, b.notRun, b.background])).toEqual([
      [2, 'sh', 'shell', undefined, false],
      [6, 'ts', 'module', 'needs a cluster', false],
      [10, 'js', 'module', undefined, true],
      [13, '', 'data', undefined, false],
      [16, 'go', 'unknown', undefined, false],
    ]);
    expect(blocks[0]!.code).toBe('echo 1');
  });
});

describe('console blocks', () => {
  it('split into commands (with continuations) and expected output', () => {
    expect(consoleSteps('$ a \\\n  b\nout 1\nout 2\n$ c\n')).toEqual([
      { command: 'a \\\n  b', expected: 'out 1\nout 2' },
      { command: 'c', expected: '' },
    ]);
    expect(() => consoleSteps('stray\n$ a')).toThrow(/before the first/);
  });
  it('match output exactly, with ... as a wildcard across lines', () => {
    expect(outputMatches('[{"a":1,...}]', '[{"a":1,"b":2}]')).toBe(true);
    expect(outputMatches('[{"a":1,...}]', '[{"a":2,"b":2}]')).toBe(false);
    expect(outputMatches('HTTP/1.1 200 OK\n...\nx: 3\n...', 'HTTP/1.1 200 OK\ny: 1\nx: 3\n\nbody')).toBe(true);
    expect(outputMatches('X-Consul-Index: 3', 'x-consul-index: 3')).toBe(false);
    expect(outputMatches('a  \n', 'a\n\n')).toBe(true);
  });
});

describe('rewritePorts', () => {
  it('replaces whole port numbers only', () => {
    const ports = new Map([
      [8500, 41000],
      [80, 1],
    ]);
    expect(rewritePorts('127.0.0.1:8500 85000 18500 :80/ 8.80', ports)).toBe('127.0.0.1:41000 85000 18500 :1/ 8.80');
  });
});
