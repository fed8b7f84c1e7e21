import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { makeDirectory } from './make-directory.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const temp = () => {
  const dir = mkdtempSync(join(tmpdir(), 'roster-mkdir-'));
  dirs.push(dir);
  return dir;
};

describe('makeDirectory', () => {
  it('creates the directory and its missing parents; an existing directory is fine', () => {
    const dir = join(temp(), 'a', 'b', 'c');
    makeDirectory(dir);
    expect(statSync(dir).isDirectory()).toBe(true);
    makeDirectory(dir);
    makeDirectory(join(dir, '..'));
    expect(statSync(dir).isDirectory()).toBe(true);
  });

  it('refuses a path whose last part, or a parent, is a file (the system error)', () => {
    const file = join(temp(), 'file');
    writeFileSync(file, 'x');
    expect(() => makeDirectory(file)).toThrow(/EEXIST/);
    expect(() => makeDirectory(join(file, 'below'))).toThrow(/ENOTDIR/);
  });

  // Node 20's recursive mkdir spins forever on this path (100 % of a core, never returning), so
  // the built module runs in a child process that is killed after 10 s: a spin fails the test
  // instead of hanging the suite (needs `npm run build`).
  it.runIf(existsSync('/proc/self'))('fails at once where mkdir answers ENOENT although the parent exists (/proc)', () => {
    const module = pathToFileURL(resolve(import.meta.dirname, '../../dist/store/make-directory.js')).href;
    const code = `import { makeDirectory } from '${module}';\ntry { makeDirectory('/proc/roster-no-such-dir/data'); console.log('created'); } catch (e) { console.log(e.code); }`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout: 10_000 });
    expect(child.signal, 'makeDirectory did not return within 10 s').toBeNull();
    expect(child.stdout.trim()).toBe('ENOENT');
  });
});
