import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// Tests live next to the code (src/**/*.test.ts) and import the workspace packages from source,
// so no build is needed to run them. Tests that start `roster serve` as a separate process use
// the built CLI (npm test builds first).
// Integration suites that need a system package (etcd, python3-consul, chromium) skip with a
// message unless ROSTER_REQUIRE_ALL=1.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@rosterjs\/roster$/, replacement: src('./packages/roster/src/index.ts') },
      { find: /^@rosterjs\/roster\/health$/, replacement: src('./packages/roster/src/health/index.ts') },
      { find: /^@rosterjs\/roster\/testing$/, replacement: src('./packages/roster/src/testing/index.ts') },
      { find: /^@rosterjs\/roster\/consul$/, replacement: src('./packages/roster/src/registry/consul/index.ts') },
      { find: /^@rosterjs\/roster\/etcd$/, replacement: src('./packages/roster/src/registry/etcd/index.ts') },
      { find: /^@rosterjs\/roster\/grpc$/, replacement: src('./packages/roster/src/grpc/index.ts') },
      { find: /^@rosterjs\/server$/, replacement: src('./packages/server/src/index.ts') },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'examples/**/*.test.ts', 'test-support/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', src('./scripts/summary-reporter.ts')],
  },
});
