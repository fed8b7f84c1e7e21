/**
 * Test helpers for the dashboard's browser suites: Debian's chromium driven by playwright-core
 * (headless, `--no-sandbox --disable-gpu`, every host name but localhost resolving to nothing so
 * the browser cannot reach past loopback), and a real roster serve on 127.0.0.1 (in process,
 * over real sockets, system clock) that can be restarted on the same port and data dir.
 * Missing chromium: the suite is skipped with a message, or fails under ROSTER_REQUIRE_ALL=1.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { createServer, type RosterServer, type ServerOptions } from '@rosterjs/server';
import { requireBinary, which } from '../../../test-support/system.js';

/** True when chromium is installed (else skipped with a message, or throws under ROSTER_REQUIRE_ALL=1). */
export function haveChromium(suite: string): boolean {
  return requireBinary('chromium', 'chromium', suite);
}

/** Launches headless chromium; close it in afterAll (also when a test failed). */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: which('chromium') ?? '/usr/bin/chromium',
    headless: true,
    timeout: 60_000,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      // Only loopback: any other host name resolves to nothing.
      '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1',
    ],
  });
}

/** A real roster serve on 127.0.0.1 for a browser suite. */
export class DashboardServer {
  server: RosterServer;
  readonly dir = mkdtempSync(join(tmpdir(), 'roster-dashboard-'));
  readonly #options: Partial<ServerOptions>;
  #port = 0;

  constructor(options: Partial<ServerOptions> = {}) {
    this.#options = options;
    this.server = this.#create();
  }

  /** `http://127.0.0.1:<port>` (after start). */
  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  async start(): Promise<string> {
    const address = await this.server.listen();
    this.#port = address.port;
    return this.url;
  }

  /** Stops the server (the page sees its stream end). */
  async stop(): Promise<void> {
    await this.server.close();
  }

  /** A new server on the same data dir and port (after stop). */
  async restart(): Promise<void> {
    this.server = this.#create(this.#port);
    await this.server.listen();
  }

  /** A request with an optional token; body objects are JSON. */
  async request(method: string, path: string, body?: unknown, token?: string): Promise<Response> {
    return fetch(`${this.url}${path}`, {
      method,
      headers: token === undefined ? {} : { 'X-Consul-Token': token },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }

  /** PUT that must answer 200. */
  async put(path: string, body?: unknown, token?: string): Promise<void> {
    const res = await this.request('PUT', path, body, token);
    if (res.status !== 200) throw new Error(`PUT ${path}: ${res.status} ${await res.text()}`);
  }

  /** Closes the server (idempotent) and removes its data dir. */
  async dispose(): Promise<void> {
    await this.server.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  #create(port = 0): RosterServer {
    return createServer({
      dataDir: this.dir,
      port,
      bind: '127.0.0.1',
      logLevel: 'silent',
      sync: 'normal',
      nodeName: 'node-ui',
      ...this.#options,
    });
  }
}
