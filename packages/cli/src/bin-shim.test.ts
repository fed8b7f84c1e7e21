/**
 * The `roster` bin on a fresh clone: npm links a package's bins during `npm ci`, before anything
 * is built, and skips a bin whose file does not exist, so `npx roster` then fails with "could not
 * determine executable to run". The bin is therefore a committed shim (packages/cli/bin/roster.js)
 * that loads the compiled dist/bin.js. These tests check the mechanism: the bin file is in git
 * (so it is in every clone before a build), it is what package.json names and ships, and run the
 * way npm links it (a symlink, executed through its shebang) it is the CLI.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './test-support.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'packages/cli/package.json'), 'utf8')) as { bin: Record<string, string>; files: string[] };
const temp = mkdtempSync(join(tmpdir(), 'roster-bin-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe('the roster bin', () => {
  it('is a committed, executable file that package.json names and ships', () => {
    expect(pkg.bin.roster).toBe('./bin/roster.js');
    expect(pkg.files).toContain('bin');
    const staged = execFileSync('git', ['ls-files', '-s', 'packages/cli/bin/roster.js'], { cwd: root, encoding: 'utf8' });
    expect(staged, 'packages/cli/bin/roster.js must be committed (mode 755)').toMatch(/^100755 /);
  });

  it('exists in a fresh clone before any build, so npm ci can link it', () => {
    const clone = join(temp, 'clone');
    execFileSync('git', ['clone', '--quiet', '--no-checkout', root, clone], { stdio: 'pipe' });
    execFileSync('git', ['checkout', '--quiet', execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim()], {
      cwd: clone,
      stdio: 'pipe',
    });
    expect(existsSync(join(clone, 'packages/cli', pkg.bin.roster!))).toBe(true);
    expect(existsSync(join(clone, 'packages/cli/dist'))).toBe(false);
    // Without a build it says what to do instead of a module-not-found stack.
    let stderr = '';
    try {
      execFileSync(process.execPath, [join(clone, 'packages/cli/bin/roster.js'), '--help'], { encoding: 'utf8', stdio: 'pipe' });
    } catch (error) {
      stderr = String((error as { stderr: string }).stderr);
    }
    expect(stderr).toContain('run `npm run build` first');
  });

  it('runs the built CLI when executed through a symlink, as node_modules/.bin/roster is', () => {
    const link = join(temp, 'roster');
    symlinkSync(join(root, 'packages/cli/bin/roster.js'), link);
    const help = execFileSync(link, ['--help'], { encoding: 'utf8' });
    expect(help).toContain('Usage: roster');
    expect(help).toMatch(/^ {2}instances /m);
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(join(root, 'packages/cli/package.json'), 'utf8')) as { version: string };
    const run = await runCli(['--version']);
    expect(run.stdout.trim()).toBe(version);
  });
});
