/**
 * The server's layers (docs/ARCHITECTURE.md): every import in the production code of
 * packages/server/src runs down the table below, never up and never sideways to a peer folder
 * of the same layer, and no file imports itself back through others (no cycle). Tests and test
 * helpers are left out: a test may wire several layers together.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Bottom first. A unit is a folder (relative to src) or a top-level file; a file belongs to the
 * unit with the longest matching path. A unit may import its own files and units of lower layers.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ['errors.ts', 'version.ts', 'min-heap.ts'], // foundations: the error registry, the version, the deadline heaps' min-heap
  ['catalog', 'filter'], // the model: records, indexes, the catalog in memory; ?filter= expressions
  ['store'], // SQLite, and the catalog state loaded from it
  ['commit'], // group commit: Batch and Committer
  ['operations'], // each write as a function over a Batch
  ['checks', 'blocking', 'events', 'metrics', 'acl', 'tls', 'watch', 'limits', 'dashboard'], // services around the core (watch: streaming watches; limits: per-client rate and held queries; dashboard: its built files)
  ['dns'], // the DNS edge: reads the catalog, needs nothing of HTTP (its options feed options.ts)
  ['logging'], // the logger (JSON or readable lines) and one line per registry event
  ['options.ts', 'listen-error.ts'], // start-up: resolved options, and the error of a listener that cannot listen
  ['context.ts'], // the parts every edge reaches
  ['http/shapes', 'http/decode'], // Consul's wire names: answers out, requests in
  ['http'], // the HTTP edge: routing, reads, response cache, Fastify app
  ['http/routes'], // one file per endpoint family
  ['server.ts'], // createServer: wires everything
  ['index.ts'], // the package entry
];

/** One import that breaks the layering. */
export interface LayerViolation {
  readonly from: string;
  readonly to: string;
  readonly why: string;
}

/** The unit of a file (path relative to src, `/`-separated), or undefined when none fits. */
export function unitOf(file: string, layers: readonly (readonly string[])[] = LAYERS): string | undefined {
  let best: string | undefined;
  for (const unit of layers.flat()) {
    const fits = unit.endsWith('.ts') ? file === unit : file.startsWith(`${unit}/`);
    if (fits && (best === undefined || unit.length > best.length)) best = unit;
  }
  return best;
}

function layerOf(unit: string, layers: readonly (readonly string[])[]): number {
  return layers.findIndex((layer) => layer.includes(unit));
}

/**
 * Checks an import graph (file → files it imports, paths relative to src) against the layers.
 * Returns every upward or sideways import, every file outside the table, and every cycle.
 */
export function checkLayers(graph: ReadonlyMap<string, readonly string[]>, layers = LAYERS): LayerViolation[] {
  const out: LayerViolation[] = [];
  for (const [from, imports] of graph) {
    const fromUnit = unitOf(from, layers);
    if (fromUnit === undefined) {
      out.push({ from, to: from, why: `${from} belongs to no layer: add its folder to LAYERS (layers.test.ts) and ARCHITECTURE.md` });
      continue;
    }
    for (const to of imports) {
      const toUnit = unitOf(to, layers);
      if (toUnit === undefined || toUnit === fromUnit) continue;
      const a = layerOf(fromUnit, layers);
      const b = layerOf(toUnit, layers);
      if (b > a) out.push({ from, to, why: `${fromUnit} (layer ${a}) imports ${toUnit} (layer ${b}), which is above it` });
      else if (b === a) out.push({ from, to, why: `${fromUnit} imports its peer ${toUnit} (both layer ${a})` });
    }
  }
  for (const cycle of cyclesOf(graph)) out.push({ from: cycle[0]!, to: cycle[0]!, why: `import cycle: ${cycle.join(' → ')}` });
  return out;
}

/** Every cycle found by a depth-first walk, each as the files in order, first file repeated last. */
export function cyclesOf(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      if (!graph.has(next)) continue;
      const s = state.get(next);
      if (s === 'open') cycles.push([...path.slice(path.indexOf(next)), next]);
      else if (s === undefined) visit(next);
    }
    path.pop();
    state.set(file, 'done');
  };
  for (const file of [...graph.keys()].sort()) if (!state.has(file)) visit(file);
  return cycles;
}

const SRC = dirname(fileURLToPath(import.meta.url));

function isProduction(file: string): boolean {
  return file.endsWith('.ts') && !file.endsWith('.test.ts') && !file.endsWith('.test-helper.ts') && !file.endsWith('.d.ts');
}

/** Production files of src, relative and `/`-separated. */
function productionFiles(dir = SRC): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...productionFiles(path));
    else if (isProduction(entry.name)) files.push(relative(SRC, path).split('\\').join('/'));
  }
  return files.sort();
}

/** The import graph of the production code: every relative import, export-from and import(). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of productionFiles()) {
    const info = ts.preProcessFile(readFileSync(join(SRC, file), 'utf8'), true, true);
    const targets = info.importedFiles
      .map((f) => f.fileName)
      .filter((name) => name.startsWith('.'))
      .map((name) => posix.normalize(posix.join(posix.dirname(file), name)).replace(/\.js$/, '.ts'));
    graph.set(file, targets);
  }
  return graph;
}

describe('server layers', () => {
  it('reads the imports of every production file (the graph is not empty)', () => {
    const graph = importGraph();
    expect(graph.size).toBeGreaterThan(50);
    expect(graph.get('server.ts')).toContain('commit/committer.ts');
    expect(graph.get('http/read.ts')).toContain('http/response-cache.ts');
  });

  it('has no import that runs up or sideways, no file outside the table, and no cycle', () => {
    expect(checkLayers(importGraph())).toEqual([]);
  });

  it('catches an upward import, a peer import, an unplaced file and a cycle (the check can fail)', () => {
    const graph = new Map<string, string[]>([
      ['store/store.ts', ['catalog/types.ts', 'commit/batch.ts']],
      ['commit/batch.ts', ['store/store.ts']],
      ['catalog/types.ts', []],
      ['checks/a.ts', ['metrics/m.ts']],
      ['metrics/m.ts', []],
      ['nowhere/x.ts', []],
    ]);
    const whys = checkLayers(graph).map((v) => v.why);
    expect(whys).toEqual([
      'store (layer 2) imports commit (layer 3), which is above it',
      'checks imports its peer metrics (both layer 5)',
      'nowhere/x.ts belongs to no layer: add its folder to LAYERS (layers.test.ts) and ARCHITECTURE.md',
      'import cycle: commit/batch.ts → store/store.ts → commit/batch.ts',
    ]);
  });

  it('places a file in the unit with the longest matching path', () => {
    expect(unitOf('http/routes/catalog-routes.ts')).toBe('http/routes');
    expect(unitOf('http/app.ts')).toBe('http');
    expect(unitOf('errors.ts')).toBe('errors.ts');
    expect(unitOf('httpx/a.ts')).toBeUndefined();
  });
});
