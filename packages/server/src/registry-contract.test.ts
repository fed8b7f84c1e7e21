/**
 * The Registry contract, run against roster serve over real loopback sockets through the
 * library's Consul backend: the same suite the memory and etcd backends pass.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { consulRegistry } from '@rosterjs/roster/consul';
import { registryContract } from '@rosterjs/roster/testing';
import { afterAll, beforeAll } from 'vitest';
import { freePort } from '../../../test-support/etcd.js';
import { createServer, type RosterServer } from './index.js';

let server: RosterServer;
let dataDir: string;
let url = '';

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'roster-contract-'));
  server = createServer({ port: 0, dataDir, logLevel: 'silent', sync: 'normal' });
  url = (await server.listen()).url;
});

afterAll(async () => {
  await server?.close();
  await rm(dataDir, { recursive: true, force: true });
});

registryContract('roster serve via the Consul backend (real sockets)', {
  connect: () => consulRegistry({ url, watchWaitMs: 5000 }),
  // A roster serve that is not there: a loopback port nothing listens on.
  unreachable: async () =>
    consulRegistry({ url: `http://127.0.0.1:${await freePort()}`, timeoutMs: 500, backoff: { baseMs: 20, maxMs: 100 } }),
  ttlMs: 1000,
  expiryGraceMs: 1500,
  settleMs: 1500,
});
