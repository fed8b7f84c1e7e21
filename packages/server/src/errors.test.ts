/**
 * The server's error registry against docs/errors.md (both ways), ApiError's status from the
 * registry, and no plain `Error` in the server's production code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ApiError, type HttpErrorCode, SERVER_ERRORS, ServerErrorCode } from './errors.js';

const SRC = dirname(fileURLToPath(import.meta.url));
const DOCS = join(SRC, '../../../docs/errors.md');

/** The rows of the roster serve table in docs/errors.md: code → status (`undefined` for `—`). */
function documentedCodes(markdown: string): Map<string, number | undefined> {
  const start = markdown.indexOf('## roster serve');
  expect(start).toBeGreaterThanOrEqual(0);
  const end = markdown.indexOf('\n## ', start + 1);
  const section = markdown.slice(start, end < 0 ? undefined : end);
  const rows = new Map<string, number | undefined>();
  for (const line of section.split('\n')) {
    const m = /^\|\s*`(ROSTER_SERVER_[A-Z0-9_]+)`\s*\|\s*([^|]*?)\s*\|/.exec(line);
    if (!m) continue;
    expect(rows.has(m[1]!), `${m[1]} is documented twice`).toBe(false);
    rows.set(m[1]!, m[2] === '—' ? undefined : Number(m[2]));
  }
  return rows;
}

/** Production files of src (no tests, no test helpers), relative. */
function productionFiles(dir = SRC): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...productionFiles(path));
    else if (entry.name.endsWith('.ts') && !/\.(test|test-helper|d)\.ts$/.test(entry.name)) files.push(relative(SRC, path));
  }
  return files.sort();
}

const PLAIN_ERRORS = new Set(['Error', 'TypeError', 'RangeError', 'SyntaxError', 'EvalError', 'ReferenceError', 'URIError']);

/** Every `new Error(…)` or `Error(…)` of a built-in error class in a source text, as `line: text`. */
export function plainErrors(source: string, fileName = 'file.ts'): string[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isNewExpression(node) || ts.isCallExpression(node)) &&
      ts.isIdentifier(node.expression) &&
      PLAIN_ERRORS.has(node.expression.text)
    ) {
      const line = file.getLineAndCharacterOfPosition(node.getStart()).line + 1;
      found.push(`${fileName}:${line}: ${node.getText().slice(0, 80)}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

describe('server error registry', () => {
  it('docs/errors.md lists every code of the registry with its status, and nothing else', () => {
    const documented = documentedCodes(readFileSync(DOCS, 'utf8'));
    const registry = new Map<string, number | undefined>(Object.entries(SERVER_ERRORS));
    expect(documented.size).toBeGreaterThan(15);
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(registry));
  });

  it('the registry and ServerErrorCode hold the same codes', () => {
    expect(Object.values(ServerErrorCode).sort()).toEqual(Object.keys(SERVER_ERRORS).sort());
  });

  it("an ApiError's status is the registry's for its code", () => {
    for (const [code, status] of Object.entries(SERVER_ERRORS)) {
      if (status === undefined) continue;
      const error = new ApiError(code as HttpErrorCode, 'x');
      expect([code, error.status]).toEqual([code, status]);
    }
  });

  it('every code is raised somewhere in the production code (no dead entries)', () => {
    const source = productionFiles()
      .filter((f) => f !== 'errors.ts')
      .map((f) => readFileSync(join(SRC, f), 'utf8'))
      .join('\n');
    const errorsTs = readFileSync(join(SRC, 'errors.ts'), 'utf8');
    const helpers = [...errorsTs.matchAll(/export function (\w+)\([^)]*\)[^{]*\{[^}]*ServerErrorCode\.(\w+)/g)];
    const unused = Object.keys(ServerErrorCode).filter((name) => {
      if (source.includes(`ServerErrorCode.${name}`)) return false;
      // Raised through a helper of errors.ts (badRequest, notFound, …) that production code calls.
      return !helpers.some(([, fn, used]) => used === name && new RegExp(`\\b${fn}\\(`).test(source));
    });
    expect(unused).toEqual([]);
  });
});

describe('no plain Error in the server', () => {
  it('finds no new Error(…) (or TypeError, …) in the production code of packages/server/src', () => {
    const found = productionFiles().flatMap((f) => plainErrors(readFileSync(join(SRC, f), 'utf8'), f));
    expect(found).toEqual([]);
  });

  it('catches a plain Error thrown or rejected, and leaves subclasses alone (the check can fail)', () => {
    const source = [
      "throw new Error('boom');",
      "return Promise.reject(new TypeError('bad'));",
      "throw Error('no new');",
      "throw new ServerError(ServerErrorCode.Internal, 'fine');",
      'class NeedsCommit extends Error {}',
    ].join('\n');
    expect(plainErrors(source)).toEqual(["file.ts:1: new Error('boom')", "file.ts:2: new TypeError('bad')", "file.ts:3: Error('no new')"]);
  });
});
