/**
 * Integration suites that need a system package (etcd, python3-consul, chromium) ask here
 * whether it is installed. Missing locally: the suite is skipped with a message. Missing with
 * ROSTER_REQUIRE_ALL=1 (CI): the suite fails, so a missing install step cannot hide.
 */
import { execFileSync } from 'node:child_process';

/** Path of `binary` on PATH, or undefined. */
export function which(binary: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Returns true when `binary` is available. When it is not: throws under ROSTER_REQUIRE_ALL=1,
 * otherwise prints why the suite is skipped and returns false.
 */
export function requireBinary(binary: string, debianPackage: string, suite: string): boolean {
  if (which(binary)) return true;
  const message = `${suite}: needs \`${binary}\` (Debian package ${debianPackage}: apt-get install -y ${debianPackage})`;
  if (process.env.ROSTER_REQUIRE_ALL === '1') throw new Error(`${message}; ROSTER_REQUIRE_ALL=1 makes this a failure`);
  console.warn(`skipping ${message}`);
  return false;
}

/** The system Python (Debian's `python3-*` packages install for it, not for a pyenv Python on PATH). */
export const SYSTEM_PYTHON = '/usr/bin/python3';

/** True when `python` can `import module`. */
export function pythonHasModule(module: string, python: string = SYSTEM_PYTHON): boolean {
  try {
    execFileSync(python, ['-c', `import ${module}`], { stdio: 'ignore', timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Returns true when `python` (default {@link SYSTEM_PYTHON}) can import `module`. When it cannot:
 * throws under ROSTER_REQUIRE_ALL=1, otherwise prints why the suite is skipped and returns false.
 */
export function requirePythonModule(module: string, debianPackage: string, suite: string, python: string = SYSTEM_PYTHON): boolean {
  if (pythonHasModule(module, python)) return true;
  const message = `${suite}: needs \`${python} -c "import ${module}"\` (Debian package ${debianPackage}: apt-get install -y ${debianPackage})`;
  if (process.env.ROSTER_REQUIRE_ALL === '1') throw new Error(`${message}; ROSTER_REQUIRE_ALL=1 makes this a failure`);
  console.warn(`skipping ${message}`);
  return false;
}
