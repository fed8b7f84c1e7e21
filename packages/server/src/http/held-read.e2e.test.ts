/**
 * Held reads answered by the wake itself (D165), from a real roster serve over loopback sockets:
 * a woken query carries exactly the headers and bytes the same read gets when answered at once
 * (identity, gzip, `?stale`, with ACLs and a token), every query one change wakes gets the same
 * answer, a timeout answers the unchanged index, a client that goes away is dropped, and an app
 * with a Fastify payload hook (which direct writes would bypass) is refused.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAclConfig } from '../acl/acl-config.js';
import { createServer, type RosterServer } from '../index.js';
import { getBytes } from '../testing/get-bytes.test-helper.js';
import { bypassedHooksError } from './app.js';

const servers: RosterServer[] = [];
const dirs: string[] = [];

async function start(options: Parameters<typeof createServer>[0] extends infer O ? Partial<O> : never = {}): Promise<string> {
  const dataDir = await mkdtemp(join(tmpdir(), 'roster-held-'));
  dirs.push(dataDir);
  const server = createServer({ port: 0, dataDir, logLevel: 'silent', sync: 'normal', nodeName: 'node-a', ...options });
  servers.push(server);
  return (await server.listen()).url;
}

afterAll(async () => {
  for (const s of servers) await s.close();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const get = getBytes;

async function put(url: string, path: string, body: unknown, token?: string): Promise<void> {
  const r = await fetch(`${url}${path}`, {
    method: 'PUT',
    body: JSON.stringify(body),
    headers: token ? { 'X-Consul-Token': token } : {},
  });
  expect(r.status).toBe(200);
}

async function held(url: string, token?: string): Promise<number> {
  const text = await (
    await fetch(`${url}/v1/agent/metrics?format=prometheus`, { headers: token ? { 'X-Consul-Token': token } : {} })
  ).text();
  return Number(/^roster_blocking_queries_held (\d+)/m.exec(text)?.[1] ?? -1);
}

async function untilHeld(url: string, n: number, token?: string): Promise<void> {
  for (let i = 0; i < 500 && (await held(url, token)) < n; i++) await new Promise((r) => setTimeout(r, 10));
  expect(await held(url, token)).toBe(n);
}

/** Headers without the per-second Date. */
function sameHeaders(h: IncomingHttpHeaders): IncomingHttpHeaders {
  const { date: _date, ...rest } = h;
  return rest;
}

const registration = (i: number) => ({
  Name: 'big',
  ID: `big-${i}`,
  Address: '127.0.0.1',
  Port: 2000 + i,
  Tags: ['t'],
  Check: { CheckID: `big-${i}:ttl`, Name: 'ttl', TTL: '10m' },
});

describe('held reads answered by the wake', () => {
  let url = '';
  beforeAll(async () => {
    url = await start();
    for (let i = 0; i < 20; i++) await put(url, '/v1/agent/service/register', registration(i));
  });

  for (const [name, query, headers] of [
    ['identity', '', {}],
    ['gzip', '', { 'accept-encoding': 'gzip' }],
    ['?stale', '&stale', {}],
    ['?pretty with gzip', '&pretty', { 'accept-encoding': 'gzip' }],
  ] as const) {
    it(`a woken query (${name}) gets the headers and bytes of the same read answered at once`, async () => {
      const path = `/v1/health/service/big?tag=t${query}`;
      const before = await get(`${url}${path}`, headers);
      const index = Number(before.headers['x-consul-index']);
      const waiting = Array.from({ length: 5 }, () => get(`${url}${path}&index=${index}&wait=5m`, headers));
      await untilHeld(url, 5);
      await put(url, '/v1/agent/service/register', { ...registration(0), Port: 3000 + index });
      const woken = await Promise.all(waiting);
      const now = await get(`${url}${path}`, headers);
      for (const w of woken) {
        expect(w.status).toBe(200);
        expect(Number(w.headers['x-consul-index'])).toBeGreaterThan(index);
        expect(sameHeaders(w.headers)).toEqual(sameHeaders(now.headers));
        expect(w.body.equals(now.body)).toBe(true);
      }
      if (headers['accept-encoding']) {
        expect(now.headers['content-encoding']).toBe('gzip');
        expect(JSON.parse(gunzipSync(now.body).toString())).toHaveLength(20);
      }
      expect(await held(url)).toBe(0);
    });
  }

  it('a timeout answers with the unchanged index, as the read at once does', async () => {
    const path = '/v1/catalog/service/big';
    const before = await get(`${url}${path}`);
    const index = before.headers['x-consul-index'];
    const timedOut = await get(`${url}${path}?index=${index}&wait=50ms`);
    expect(timedOut.status).toBe(200);
    expect(timedOut.headers['x-consul-index']).toBe(index);
    expect(sameHeaders(timedOut.headers)).toEqual(sameHeaders(before.headers));
    expect(timedOut.body.equals(before.body)).toBe(true);
  });

  it('a client that goes away while held is dropped; the others are still woken', async () => {
    const path = '/v1/health/service/big';
    const index = Number((await get(`${url}${path}`)).headers['x-consul-index']);
    const ac = new AbortController();
    const gone = get(`${url}${path}?index=${index}&wait=5m`, {}, ac.signal).catch((e: Error) => e);
    const stays = get(`${url}${path}?index=${index}&wait=5m`);
    await untilHeld(url, 2);
    ac.abort();
    expect(await gone).toBeInstanceOf(Error);
    await untilHeld(url, 1);
    await put(url, '/v1/agent/service/register', { ...registration(1), Port: 4000 + index });
    expect(Number((await stays).headers['x-consul-index'])).toBeGreaterThan(index);
  });
});

describe('held reads with ACLs', () => {
  it('carry the ACL policy header and, for a token, the same headers as the read at once', async () => {
    const acl = parseAclConfig({
      default_policy: 'deny',
      policies: { 'big-read': { service: { big: { policy: 'read' } }, node_prefix: { '': { policy: 'read' } } } },
      tokens: [
        { secret_id: 'held-root-1', policies: ['global-management'] },
        { secret_id: 'held-reader-1', policies: ['big-read'] },
      ],
    });
    const url = await start({ acl });
    for (let i = 0; i < 3; i++) await put(url, '/v1/agent/service/register', registration(i), 'held-root-1');
    const headers = { 'x-consul-token': 'held-reader-1' };
    const path = '/v1/health/service/big';
    const before = await get(`${url}${path}`, headers);
    expect(before.headers['x-consul-default-acl-policy']).toBe('deny');
    const index = Number(before.headers['x-consul-index']);
    const waiting = get(`${url}${path}?index=${index}&wait=5m`, headers);
    await untilHeld(url, 1, 'held-root-1');
    await put(url, '/v1/agent/service/register', { ...registration(2), Port: 5000 }, 'held-root-1');
    const woken = await waiting;
    const now = await get(`${url}${path}`, headers);
    expect(sameHeaders(woken.headers)).toEqual(sameHeaders(now.headers));
    expect(woken.body.equals(now.body)).toBe(true);
  });
});

describe('hooks the lean path and direct writes would bypass', () => {
  it('an app with a hook of its own kind or another (onSend, preHandler, a second onRequest) is refused; one without passes', async () => {
    const apps: FastifyInstance[] = [];
    const refusal = async (add: (app: FastifyInstance) => void) => {
      const app = Fastify({ exposeHeadRoutes: false });
      apps.push(app);
      app.get('/', async () => 'x');
      add(app);
      await app.ready();
      return bypassedHooksError(app)?.message ?? null;
    };
    expect(await refusal((a) => a.addHook('onSend', async (_req, _reply, payload) => payload))).toMatch(/onSend hook .* bypassed/);
    expect(await refusal((a) => a.addHook('preHandler', async () => undefined))).toMatch(/preHandler hook \(anonymous\(\)\)/);
    expect(
      await refusal((a) => {
        a.addHook('onRequest', function acceptRequest(_req, _reply, done) {
          done();
        });
        a.addHook('onRequest', function audit(_req, _reply, done) {
          done();
        });
      }),
    ).toMatch(/onRequest hook \(audit\(\)\)/);
    // The app's own two, and nothing else: accepted.
    expect(
      await refusal((a) => {
        a.addHook('onRequest', function acceptRequest(_req, _reply, done) {
          done();
        });
        a.addHook('onResponse', function countAnswer(_req, _reply, done) {
          done();
        });
      }),
    ).toBeNull();
    expect(await refusal(() => undefined)).toBeNull();
    for (const app of apps) await app.close();
  });
});
