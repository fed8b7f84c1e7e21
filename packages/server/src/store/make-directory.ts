/**
 * `mkdir -p` for the data dir that cannot spin: Node 20's `mkdirSync(dir, { recursive: true })`
 * loops forever at 100 % of a core when `mkdir` answers ENOENT although the parent exists (a
 * path under /proc, for one). This creates each missing parent once, from the top down (system
 * calls bounded by the path's depth); a failure is the system's error. The library's snapshot
 * files do the same asynchronously (roster's internal/make-directory.ts).
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/** Creates `dir` and its missing parents; returns when `dir` is a directory. */
export function makeDirectory(dir: string): void {
  try {
    mkdirSync(dir);
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && statSync(dir).isDirectory()) return;
    const parent = dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw error;
  }
  makeDirectory(dirname(dir));
  // The parent exists now: an error here (ENOENT included) is final.
  try {
    mkdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(dir).isDirectory()) throw error;
  }
}
