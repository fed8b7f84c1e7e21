import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { pythonHasModule, requirePythonModule, SYSTEM_PYTHON } from './system.js';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe.skipIf(!existsSync(SYSTEM_PYTHON))('requirePythonModule', () => {
  it('is true for a module the system Python has', () => {
    expect(pythonHasModule('json')).toBe(true);
    expect(requirePythonModule('json', 'python3', 'suite')).toBe(true);
  });

  it('skips with a message locally, and fails under ROSTER_REQUIRE_ALL=1', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    vi.stubEnv('ROSTER_REQUIRE_ALL', '');
    expect(requirePythonModule('no_such_module_roster', 'python3-nothing', 'suite')).toBe(false);
    expect(warn.mock.calls[0]?.[0]).toMatch(/skipping suite: needs .* apt-get install -y python3-nothing/);
    vi.stubEnv('ROSTER_REQUIRE_ALL', '1');
    expect(() => requirePythonModule('no_such_module_roster', 'python3-nothing', 'suite')).toThrow(
      /ROSTER_REQUIRE_ALL=1 makes this a failure/,
    );
  });
});
