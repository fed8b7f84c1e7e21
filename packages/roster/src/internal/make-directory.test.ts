import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { makeDirectory } from './make-directory.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});
const temp = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'roster-mkdir-'));
  dirs.push(dir);
  return dir;
};

describe('makeDirectory', () => {
  it('creates the directory and its missing parents; an existing directory is fine; concurrent calls agree', async () => {
    const dir = join(await temp(), 'a', 'b', 'c');
    await Promise.all([makeDirectory(dir), makeDirectory(dir), makeDirectory(join(dir, 'd'))]);
    expect((await stat(join(dir, 'd'))).isDirectory()).toBe(true);
    await makeDirectory(dir);
  });

  it('refuses a path whose last part, or a parent, is a file (the system error)', async () => {
    const file = join(await temp(), 'file');
    await writeFile(file, 'x');
    await expect(makeDirectory(file)).rejects.toThrow(/EEXIST/);
    await expect(makeDirectory(join(file, 'below'))).rejects.toThrow(/ENOTDIR/);
  });

  // Node 20's recursive mkdir spins forever on this path (100 % of a core, never returning), so
  // the built module runs in a child process that is killed after 10 s: a spin fails the test
  // instead of hanging the suite (needs `npm run build`).
  it.runIf(existsSync('/proc/self'))('fails at once where mkdir answers ENOENT although the parent exists (/proc)', () => {
    const module = pathToFileURL(resolve(import.meta.dirname, '../../dist/internal/make-directory.js')).href;
    const code = `import { makeDirectory } from '${module}';\ntry { await makeDirectory('/proc/roster-no-such-dir/snapshots'); console.log('created'); } catch (e) { console.log(e.code); }`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout: 10_000 });
    expect(child.signal, 'makeDirectory did not return within 10 s').toBeNull();
    expect(child.stdout.trim()).toBe('ENOENT');
  });
});
