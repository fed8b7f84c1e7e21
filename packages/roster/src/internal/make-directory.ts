/**
 * `mkdir -p` that cannot spin: Node 20's `mkdir(dir, { recursive: true })` loops forever, at 100 %
 * of a core and never settling, when `mkdir` answers ENOENT although the parent exists (a path
 * under /proc, for one). This one creates each missing parent once, from the top down, so the
 * number of system calls is bounded by the path's depth; a failure is the system's error.
 */
import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Creates `dir` and its missing parents; resolves when `dir` is a directory. */
export async function makeDirectory(dir: string): Promise<void> {
  try {
    await mkdir(dir);
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && (await stat(dir)).isDirectory()) return;
    const parent = dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw error;
  }
  await makeDirectory(dirname(dir));
  // The parent exists now: an error here (ENOENT included) is final.
  try {
    await mkdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !(await stat(dir)).isDirectory()) throw error;
  }
}
