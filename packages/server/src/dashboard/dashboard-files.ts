/**
 * The dashboard's static files (packages/dashboard, built by `npm run build` into its `dist/`),
 * found by resolving `@rosterjs/dashboard/package.json` from this package (D70) and read into
 * memory once: a handful of small files, served without touching the disk again.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';

/** One file of the dashboard. */
export interface DashboardFile {
  readonly body: Buffer;
  readonly contentType: string;
  /** A strong ETag of the content. */
  readonly etag: string;
}

/** The dashboard's files by path below `/ui/` (`index.html`, `app.js`, …), or why there are none. */
export type DashboardFiles =
  | { readonly kind: 'ready'; readonly dir: string; readonly files: ReadonlyMap<string, DashboardFile> }
  | { readonly kind: 'missing'; readonly reason: string };

/** Files larger than this are not served (the built dashboard is far smaller). */
const MAX_FILE_BYTES = 4 * 1024 * 1024;

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
};

/** The `dist/` folder of the installed `@rosterjs/dashboard`, or undefined when it is not installed. */
export function dashboardDir(): string | undefined {
  try {
    const pkg = createRequire(import.meta.url).resolve('@rosterjs/dashboard/package.json');
    return join(dirname(pkg), 'dist');
  } catch {
    return undefined;
  }
}

/**
 * Reads the built dashboard in `dir` (flat folder, known file types only; undefined: not installed). Never throws: a missing
 * package or build is reported as `missing` with the reason, so the API works without it.
 */
export function loadDashboardFiles(dir: string | undefined): DashboardFiles {
  if (dir === undefined) return { kind: 'missing', reason: 'the package @rosterjs/dashboard is not installed' };
  if (!existsSync(join(dir, 'index.html')))
    return { kind: 'missing', reason: `the dashboard is not built (no ${join(dir, 'index.html')}); run npm run build` };
  const files = new Map<string, DashboardFile>();
  for (const name of readdirSync(dir)) {
    const contentType = TYPES[extname(name)];
    const path = join(dir, name);
    if (contentType === undefined || !statSync(path).isFile() || statSync(path).size > MAX_FILE_BYTES) continue;
    const body = readFileSync(path);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    files.set(name, { body, contentType, etag });
  }
  return { kind: 'ready', dir, files };
}
