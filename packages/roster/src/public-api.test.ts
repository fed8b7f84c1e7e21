/**
 * The public face: the main entry exports at most 150 names (what a service or a client uses),
 * and every export of every entry carries a JSDoc contract in the source.
 */
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const MAIN_MAX = 150;
const entry = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const ENTRIES = {
  '@rosterjs/roster': entry('./index.ts'),
  '@rosterjs/roster/health': entry('./health/index.ts'),
  '@rosterjs/roster/consul': entry('./registry/consul/index.ts'),
  '@rosterjs/roster/etcd': entry('./registry/etcd/index.ts'),
  '@rosterjs/roster/testing': entry('./testing/index.ts'),
  '@rosterjs/roster/grpc': entry('./grpc/index.ts'),
};

const program = ts.createProgram(Object.values(ENTRIES), {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
  strict: true,
  noEmit: true,
});
const checker = program.getTypeChecker();

/** Each exported name of `file` with its JSDoc text (empty when it has none). */
function exportsOf(file: string): { name: string; doc: string }[] {
  const source = program.getSourceFile(file);
  const module = source && checker.getSymbolAtLocation(source);
  if (!module) throw new Error(`cannot read ${file}`);
  return checker.getExportsOfModule(module).map((symbol) => {
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    return { name: symbol.name, doc: ts.displayPartsToString(target.getDocumentationComment(checker)).trim() };
  });
}

describe('public API', () => {
  it(`the main entry exports at most ${MAIN_MAX} names`, () => {
    const names = exportsOf(ENTRIES['@rosterjs/roster']).map((e) => e.name);
    expect(names.length).toBeGreaterThan(50); // the count is real, not an empty read
    expect(names.length, `main entry exports ${names.length} names`).toBeLessThanOrEqual(MAIN_MAX);
    // The health-check engine is not part of it (it is @rosterjs/roster/health).
    expect(names).not.toContain('startCheck');
    expect(names).not.toContain('httpProbe');
  });

  it.each(Object.entries(ENTRIES))('every export of %s has a JSDoc contract', (_, file) => {
    const undocumented = exportsOf(file)
      .filter((e) => e.doc === '')
      .map((e) => e.name);
    expect(undocumented).toEqual([]);
  });
});
