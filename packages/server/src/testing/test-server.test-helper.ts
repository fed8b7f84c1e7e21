/**
 * Test helpers: a server in process on a temporary data dir (Fastify inject), and small HTTP
 * helpers for tests over real sockets. Not part of the build (see tsconfig exclude).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { FakeClock } from '@rosterjs/roster/testing';
import { createServer, type RosterServer, type ServerOptions } from '../index.js';

/** A server for one test. */
export interface TestServer {
  readonly server: RosterServer;
  readonly dir: string;
  readonly clock: FakeClock;
  /** In-process request; `body` objects are JSON-encoded, strings sent as they are. */
  req(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  /** JSON of an in-process GET (asserts 200). */
  get<T = unknown>(url: string): Promise<T>;
  /** Closes the server (idempotent); keeps the data dir unless `remove`. */
  close(remove?: boolean): Promise<void>;
  /** A new server on the same data dir (after close). */
  reopen(options?: Partial<ServerOptions>): TestServer;
}

const open: TestServer[] = [];

/** Creates a server on a fresh temporary data dir with a fake clock (unless one is given). */
export function testServer(options: Partial<ServerOptions> = {}, dir = mkdtempSync(join(tmpdir(), 'roster-test-'))): TestServer {
  const clock = (options.clock as FakeClock | undefined) ?? new FakeClock();
  const server = createServer({
    dataDir: dir,
    logLevel: 'silent',
    port: 0,
    sync: 'normal',
    nodeName: 'node-a',
    random: () => 0,
    clock,
    ...options,
  });
  let closed = false;
  const t: TestServer = {
    server,
    dir,
    clock,
    req(method, url, body, headers) {
      const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      return server.inject({
        method: method as 'GET',
        url,
        ...(payload === undefined ? {} : { payload }),
        ...(headers ? { headers } : {}),
      });
    },
    async get(url) {
      const r = await server.inject({ method: 'GET', url });
      if (r.statusCode !== 200) throw new Error(`GET ${url}: ${r.statusCode} ${r.body}`);
      return r.json();
    },
    async close(remove = false) {
      if (!closed) {
        closed = true;
        await server.close();
      }
      if (remove) rmSync(dir, { recursive: true, force: true });
    },
    reopen(more = {}) {
      return testServer({ ...options, ...more }, dir);
    },
  };
  open.push(t);
  return t;
}

/** Closes every server the helpers created and removes their data dirs (call in afterEach). */
export async function closeAll(): Promise<void> {
  const all = open.splice(0);
  for (const t of all) await t.close();
  for (const dir of new Set(all.map((t) => t.dir))) rmSync(dir, { recursive: true, force: true });
}
