/**
 * gRPC over roster, registry on a real roster serve (in this process, real sockets): the shared
 * scenarios of test-support-scenarios.ts. The outage stops the server and starts it again on the
 * same port and data directory.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type RosterServer } from '@rosterjs/server';
import { afterAll, beforeAll, describe } from 'vitest';
import { consulRegistry } from '../registry/consul/consul-registry.js';
import { grpcScenarios } from './test-support-scenarios.js';

let dataDir = '';
let port = 0;
let url = '';
let server: RosterServer | undefined;

async function start(): Promise<void> {
  server = createServer({ port, dataDir, logLevel: 'silent', sync: 'normal' });
  const address = await server.listen();
  port = address.port;
  url = address.url;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'roster-grpc-'));
  await start();
});

afterAll(async () => {
  await server?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('gRPC over roster, registry on roster serve', () => {
  grpcScenarios(() => ({
    connect: () => consulRegistry({ url, backoff: { baseMs: 100, maxMs: 1000 } }),
    down: async () => {
      await server?.close();
      server = undefined;
    },
    up: start,
  }));
});
