/**
 * The lean path (D185) answers exactly as Fastify's path does. Two servers with the same options
 * and the same fake clock get the same random sequences of requests — registrations (valid,
 * invalid, malformed, chunked, over the body limit), TTL updates, deregistrations, reads with and
 * without gzip, filters, tokens, wrong methods, unknown paths — one over a real socket (answered
 * by the lean path for GET, PUT and DELETE), the other through Fastify's `inject` (Fastify's
 * lifecycle and the app's hooks); every answer's status, headers and body must be the same.
 */
import { request as httpRequest, Agent } from 'node:http';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RawConnection } from '../testing/raw-http.test-helper.js';
import { closeAll, testServer, type TestServer } from '../testing/test-server.test-helper.js';
import { fdatasyncFile } from '../store/store.js';
import { LeanReply } from './lean-reply.js';

afterEach(async () => {
  vi.restoreAllMocks();
  await closeAll();
});

const BODY_LIMIT = 4096;

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

interface Call {
  method: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
  /** Over the socket: send the body chunked (no Content-Length). */
  chunked?: boolean;
}

/** Headers only one side can have: the connection's own (Node adds them on a socket, inject does not). */
const CONNECTION_HEADERS = new Set(['date', 'keep-alive', 'transfer-encoding']);

function normalize(status: number, raw: Record<string, unknown>, body: Buffer, nodeId: string): Answer {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    const name = k.toLowerCase();
    if (CONNECTION_HEADERS.has(name) || v === undefined) continue;
    // Node says keep-alive on a socket by itself; only a `close` an answer chose is compared.
    if (name === 'connection' && v !== 'close') continue;
    headers[name] = String(v);
  }
  const text = (headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body).toString('utf8');
  return { status, headers, body: text.split(nodeId).join('<node-id>') };
}

function overSocket(port: number, agent: Agent, call: Call, nodeId: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...call.headers };
    // Chunked said explicitly: Node's client would send a GET's body unframed otherwise.
    if (call.body !== undefined) {
      if (call.chunked) headers['transfer-encoding'] = 'chunked';
      else headers['content-length'] = String(Buffer.byteLength(call.body));
    }
    const req = httpRequest({ host: '127.0.0.1', port, method: call.method, path: call.path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(normalize(res.statusCode!, res.headers, Buffer.concat(chunks), nodeId)));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (call.body !== undefined) req.write(call.body);
    req.end();
  });
}

async function throughFastify(t: TestServer, call: Call, nodeId: string): Promise<Answer> {
  const r = await t.server.inject({
    method: call.method as 'GET',
    url: call.path,
    ...(call.body === undefined ? {} : { payload: call.body }),
    ...(call.headers ? { headers: call.headers } : {}),
  });
  return normalize(r.statusCode, r.headers, r.rawPayload, nodeId);
}

async function nodeIdOf(t: TestServer, token: string): Promise<string> {
  const r = await t.req('GET', '/v1/agent/self', undefined, { 'x-consul-token': token });
  return (r.json() as { Config: { NodeID: string } }).Config.NodeID;
}

/** Two servers alike: `lean` listening (its GET/PUT/DELETE take the lean path), `fastify` answering inject. */
async function pair(options: Parameters<typeof testServer>[0] = {}, token = '') {
  const lean = testServer({ bodyLimit: BODY_LIMIT, ...options });
  const fastify = testServer({ bodyLimit: BODY_LIMIT, ...options });
  const { port } = await lean.server.listen();
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const ids = [await nodeIdOf(lean, token), await nodeIdOf(fastify, token)] as const;
  return {
    lean,
    fastify,
    close: () => agent.destroy(),
    async both(call: Call): Promise<[Answer, Answer]> {
      const a = await overSocket(port, agent, call, ids[0]);
      const b = await throughFastify(fastify, call, ids[1]);
      return [a, b];
    },
  };
}

const NAMES = ['web', 'api', 'db'];
const IDS = ['i1', 'i2', 'i3'];

const registrationBody = fc.oneof(
  fc
    .record({
      Name: fc.constantFrom(...NAMES),
      ID: fc.constantFrom(...IDS),
      Port: fc.integer({ min: 0, max: 70000 }),
      Tags: fc.array(fc.constantFrom('a', 'b', 'v1'), { maxLength: 2 }),
      Check: fc.option(fc.record({ TTL: fc.constantFrom('10s', '1m', 'ten', '') }), { nil: undefined }),
    })
    .map((b) => JSON.stringify(b)),
  fc.json().map((j) => j),
  fc.string({ maxLength: 40 }),
  fc.constant(''),
  fc.constant(`{"Name":"big","Meta":{"k":"${'x'.repeat(BODY_LIMIT)}"}}`),
);

const call: fc.Arbitrary<Call> = fc.oneof(
  fc.record({
    method: fc.constant('PUT'),
    path: fc.constant('/v1/agent/service/register'),
    body: registrationBody,
    chunked: fc.boolean(),
  }),
  fc.record({
    method: fc.constantFrom('PUT', 'GET'),
    path: fc
      .tuple(fc.constantFrom('pass', 'warn', 'fail'), fc.constantFrom(...IDS, 'nope'), fc.constantFrom('', '?note=ok'))
      .map(([verb, id, q]) => `/v1/agent/check/${verb}/service:${id}${q}`),
  }),
  fc.record({
    method: fc.constantFrom('PUT', 'DELETE'),
    path: fc.constantFrom(...IDS, 'nope').map((id) => `/v1/agent/service/deregister/${id}`),
  }),
  fc.record({
    method: fc.constantFrom('GET', 'GET', 'GET', 'DELETE', 'PUT'),
    path: fc
      .tuple(
        fc.constantFrom(
          ...NAMES.flatMap((n) => [`/v1/health/service/${n}`, `/v1/catalog/service/${n}`, `/v1/health/checks/${n}`]),
          '/v1/catalog/services',
          '/v1/agent/services',
          '/v1/agent/checks',
          '/v1/health/state/any',
          '/v1/agent/service/i1',
          '/v1/status/leader',
          '/v1/nope',
          '/elsewhere',
          '/',
        ),
        fc.constantFrom(
          '',
          '?passing',
          '?filter=Service.Port%20%3E%201000',
          '?filter=bad%20(',
          '?dc=other',
          '?pretty',
          '?stale&consistent',
        ),
      )
      .map(([p, q]) => p + q),
    headers: fc.option(fc.record({ 'accept-encoding': fc.constantFrom('gzip', 'identity', 'gzip;q=0') }), { nil: undefined }),
  }),
);

describe('the lean path answers as Fastify does', () => {
  it('takes GET, PUT and DELETE requests, not OPTIONS', async () => {
    const p = await pair();
    // Every request the pipeline answers sets the ACL policy header first.
    const header = vi.spyOn(LeanReply.prototype, 'header');
    const lean = () => header.mock.calls.filter(([name]) => name === 'X-Consul-Default-ACL-Policy').length;
    await p.both({ method: 'GET', path: '/v1/catalog/services' });
    await p.both({ method: 'PUT', path: '/v1/agent/service/register', body: '{"Name":"web"}' });
    await p.both({ method: 'DELETE', path: '/v1/agent/service/deregister/web' });
    expect(lean()).toBe(3);
    await p.both({ method: 'OPTIONS', path: '/v1/catalog/services' });
    await p.both({ method: 'GET', path: '/v1/agent/service/we%62' });
    expect(lean()).toBe(3);
    p.close();
  });

  it('same status, headers and body over random request sequences', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(call, { minLength: 1, maxLength: 25 }), async (calls) => {
        const p = await pair();
        try {
          for (const c of calls) {
            const [lean, fastify] = await p.both(c);
            expect(lean, `${c.method} ${c.path}`).toEqual(fastify);
          }
        } finally {
          p.close();
          await p.lean.close(true);
          await p.fastify.close(true);
        }
      }),
      { numRuns: 25 },
    );
  });

  it('a body over the limit: 413 and Connection: close on both paths, at once or while reading', async () => {
    const p = await pair();
    const big = `{"Name":"web","Meta":{"k":"${'x'.repeat(BODY_LIMIT)}"}}`;
    for (const chunked of [false, true]) {
      const [lean, fastify] = await p.both({ method: 'PUT', path: '/v1/agent/service/register', body: big, chunked });
      expect(lean).toEqual(fastify);
      expect(lean.status).toBe(413);
      expect(lean.headers.connection).toBe('close');
      expect(lean.body).toBe(`Request body too large (limit ${BODY_LIMIT} bytes)`);
    }
    // Nothing was registered, and the server still answers.
    expect((await p.both({ method: 'GET', path: '/v1/agent/services' }))[0].body).toBe('{}');
    p.close();
  });

  it('a GET with a body: the body is not read (as Fastify), whatever its size', async () => {
    const p = await pair();
    await p.both({ method: 'PUT', path: '/v1/agent/service/register', body: '{"Name":"web"}' });
    for (const body of ['{"Name":"x"}', 'x'.repeat(BODY_LIMIT * 2)]) {
      for (const chunked of [false, true]) {
        const [lean, fastify] = await p.both({ method: 'GET', path: '/v1/agent/services', body, chunked });
        expect(lean).toEqual(fastify);
        expect(lean.status).toBe(200);
      }
    }
    // The connection goes on (the next request on it is answered).
    expect((await p.both({ method: 'GET', path: '/v1/status/leader' }))[0].status).toBe(200);
    p.close();
  });

  it('with ACLs: the same refusals and filtered answers', async () => {
    const p = await pair({ acl: { defaultPolicy: 'deny', tokens: { 'root-secret': 'write', reader: 'read' } } }, 'root-secret');
    const root = { 'x-consul-token': 'root-secret' };
    for (const c of [
      { method: 'PUT', path: '/v1/agent/service/register', body: '{"Name":"web","ID":"w1"}' },
      { method: 'PUT', path: '/v1/agent/service/register', body: '{"Name":"web","ID":"w2"}', headers: root },
      { method: 'GET', path: '/v1/agent/services' },
      { method: 'GET', path: '/v1/agent/services', headers: root },
      { method: 'GET', path: '/v1/health/service/web', headers: { 'x-consul-token': 'unknown' } },
      { method: 'GET', path: '/v1/health/service/web?token=reader' },
      { method: 'PUT', path: '/v1/agent/check/pass/service:w2', headers: { 'x-consul-token': 'reader' } },
      { method: 'DELETE', path: '/v1/agent/service/deregister/w2' },
      { method: 'PUT', path: '/v1/agent/service/deregister/w2?token=root-secret' },
    ] satisfies Call[]) {
      const [lean, fastify] = await p.both(c);
      expect(lean, `${c.method} ${c.path}`).toEqual(fastify);
    }
    p.close();
  });

  it('once the server is closing, a request that reaches it is answered 503 by Fastify, not by the lean path', async () => {
    // Every WAL sync waits until the test lets it go (then syncs for real), so a registration
    // can be kept in flight while the server begins to close.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const t = testServer({
      sync: 'full',
      async syncFile(fd: number) {
        await held;
        await fdatasyncFile(fd);
      },
    });
    const { port } = await t.server.listen();
    const c = await RawConnection.open(port);
    // A registration waiting for its sync keeps the connection open while the server closes.
    const body = '{"Name":"web"}';
    c.write(`PUT /v1/agent/service/register HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closed = t.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Fastify is closing now (waiting for this connection): a request sent on it.
    const header = vi.spyOn(LeanReply.prototype, 'header');
    c.write('GET /v1/status/leader HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    expect((await c.read()).status).toBe(200);
    const second = await c.read();
    expect(second.status).toBe(503);
    expect(second.headers.connection).toBe('close');
    expect(header).not.toHaveBeenCalled();
    c.close();
    await closed;
  });
});
