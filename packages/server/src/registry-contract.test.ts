/**
 * The Registry contract, run against roster serve over real loopback sockets through the
 * library's Consul backend: the same suite the memory and etcd backends pass. It runs twice: the
 * backend finds roster serve's streaming watch and uses it (every watch of a registry on one
 * connection), and against a server with the stream switched off it falls back to blocking
 * queries, as against real Consul.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { consulRegistry } from '@rosterjs/roster/consul';
import { registryContract } from '@rosterjs/roster/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test-support/etcd.js';
import { createServer, type RosterServer } from './index.js';

for (const mode of ['streaming watch', 'blocking queries'] as const) {
  let server: RosterServer;
  let dataDir: string;
  let url = '';
  let mostStreams = 0;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'roster-contract-'));
    server = createServer({ port: 0, dataDir, logLevel: 'silent', sync: 'normal', watchStreams: mode === 'streaming watch' });
    url = (await server.listen()).url;
  });

  afterAll(async () => {
    await server?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  registryContract(`roster serve via the Consul backend, ${mode} (real sockets)`, {
    connect: () => {
      // Sampled whenever a registry is made: some earlier test's watch may still be open then.
      mostStreams = Math.max(mostStreams, server.watchStats().streams);
      return consulRegistry({ url, watchWaitMs: 5000 });
    },
    // A roster serve that is not there: a loopback port nothing listens on.
    unreachable: async () =>
      consulRegistry({ url: `http://127.0.0.1:${await freePort()}`, timeoutMs: 500, backoff: { baseMs: 20, maxMs: 100 } }),
    ttlMs: 1000,
    expiryGraceMs: 1500,
    settleMs: 1500,
  });

  describe(`the contract run with ${mode}`, () => {
    it(mode === 'streaming watch' ? 'watched through the stream' : 'never opened a stream', async () => {
      const registry = consulRegistry({ url, watchWaitMs: 5000 });
      const ac = new AbortController();
      try {
        const it = registry.watch('contract-mode-probe', { signal: ac.signal })[Symbol.asyncIterator]();
        await it.next();
        mostStreams = Math.max(mostStreams, server.watchStats().streams);
        expect(mostStreams > 0).toBe(mode === 'streaming watch');
      } finally {
        ac.abort();
        await registry.close();
      }
    });
  });
}
