/**
 * Limits under abuse over real sockets: the request rate per client (429 + Retry-After; per
 * valid token with ACLs on, else per client address; made-up tokens share their address's
 * bucket; off switch), and held blocking queries and event streams per client (429 +
 * Retry-After, the index headers on reads; another client unaffected; a slot comes back when a
 * held query ends). The rate runs on a fake clock, so no test depends on timing. Clients use
 * distinct loopback source addresses (127.0.0.1, 127.0.0.2); every loop is bounded.
 */
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAclConfig } from '../acl/acl-config.js';
import { closeAll, testServer } from '../testing/test-server.test-helper.js';

afterEach(closeAll);

interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

const agents: http.Agent[] = [];
afterEach(() => {
  for (const a of agents.splice(0)) a.destroy();
});

/** A keep-alive client bound to one loopback source address. */
function client(port: number, from = '127.0.0.1') {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  agents.push(agent);
  const send = (path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path, method, headers, agent, localAddress: from }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    });
  /**
   * Starts a request that may be held: `head` resolves when the answer's head arrives (a held
   * blocking query: when it ends; an event stream: at once), `body` when it ends.
   */
  const hold = (path: string) => {
    let request!: http.ClientRequest;
    let body!: Promise<string>;
    const head = new Promise<Answer>((resolve, reject) => {
      request = http.request({ host: '127.0.0.1', port, path, agent: false, localAddress: from }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        body = new Promise((done) => {
          res.on('data', (c: string) => (text += c));
          res.on('end', () => done(text));
          res.on('error', () => done(text));
        });
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' });
      });
      request.on('error', reject);
      request.end();
    });
    head.catch(() => undefined);
    return { head, body: () => body, cancel: () => request.destroy() };
  };
  /** A request answered within `ms` (its answer), else cancelled ('held'). */
  const tryHold = async (path: string, ms = 300): Promise<Answer | 'held'> => {
    const h = hold(path);
    const early = await Promise.race([h.head, new Promise<'held'>((r) => setTimeout(() => r('held'), ms))]);
    if (early === 'held') {
      h.cancel();
      return 'held';
    }
    return { ...early, body: await h.body() };
  };
  return { send, hold, tryHold };
}

describe('request rate per client', () => {
  it('a burst, then 429 with Retry-After naming the limit; the bucket refills with time; another address is not affected', async () => {
    const t = testServer({ rateLimit: { perSecond: 2, burst: 5 } });
    const { port } = await t.server.listen();
    const a = client(port, '127.0.0.1');
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await a.send('/v1/status/leader')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    const over = await a.send('/v1/catalog/services');
    expect(over.status).toBe(429);
    expect(over.headers['retry-after']).toBe('1');
    expect(over.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(over.body).toBe('Too many requests from this client (limit 2/s, bursts of 5); retry after 1 s');
    // Unrouted paths and writes count the same.
    expect((await a.send('/nope')).status).toBe(429);
    expect((await a.send('/v1/agent/service/register', {}, 'PUT')).status).toBe(429);
    const b = client(port, '127.0.0.2');
    expect((await b.send('/v1/status/leader')).status).toBe(200);
    await t.clock.advance(500);
    expect((await a.send('/v1/status/leader')).status).toBe(200);
    expect((await a.send('/v1/status/leader')).status).toBe(429);
  });

  it('with ACLs on: one bucket per valid token, made-up tokens share their address bucket', async () => {
    const acl = parseAclConfig({
      default_policy: 'deny',
      policies: { r: { service_prefix: { '': { policy: 'read' } }, node_prefix: { '': { policy: 'read' } } } },
      tokens: [
        { secret_id: 'token-a-secret', policies: ['r'] },
        { secret_id: 'token-b-secret', policies: ['r'] },
      ],
    });
    const t = testServer({ acl, rateLimit: { perSecond: 1, burst: 3 } });
    const { port } = await t.server.listen();
    const c = client(port);
    const run = async (n: number, headers: (i: number) => Record<string, string>) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push((await c.send('/v1/catalog/services', headers(i))).status);
      return out;
    };
    expect(await run(4, () => ({ 'x-consul-token': 'token-a-secret' }))).toEqual([200, 200, 200, 429]);
    expect(await run(4, () => ({ authorization: 'Bearer token-b-secret' }))).toEqual([200, 200, 200, 429]);
    // No token and made-up tokens are all "127.0.0.1": 403 (ACL not found) until the shared bucket is empty.
    expect(await run(4, (i): Record<string, string> => (i === 0 ? {} : { 'x-consul-token': `made-up-token-${i}` }))).toEqual([
      200, 403, 403, 429,
    ]);
  });

  it('off switch: rateLimit false never answers 429 (bounded: 300 requests)', async () => {
    const t = testServer({ rateLimit: false });
    const { port } = await t.server.listen();
    const c = client(port);
    const statuses = new Set<number>();
    for (let i = 0; i < 300; i++) statuses.add((await c.send('/v1/status/leader')).status);
    expect([...statuses]).toEqual([200]);
  });

  it('the default lets a client through a burst of 2,000 requests without a 429', async () => {
    const t = testServer();
    const { port } = await t.server.listen();
    const c = client(port);
    const statuses = new Set<number>();
    for (let round = 0; round < 40; round++) {
      const batch = await Promise.all(Array.from({ length: 50 }, () => c.send('/v1/status/leader')));
      for (const r of batch) statuses.add(r.status);
    }
    expect([...statuses]).toEqual([200]);
  });
});

describe('held blocking queries per client', () => {
  it('over the limit → 429 at once with Retry-After and the index; other clients hold; a slot returns when a query ends', async () => {
    const t = testServer({ maxHeldQueriesPerClient: 2 });
    const { port } = await t.server.listen();
    const a = client(port, '127.0.0.1');
    const first = await a.send('/v1/health/service/web');
    const index = first.headers['x-consul-index'];
    const path = `/v1/health/service/web?index=${index}&wait=5m`;
    const stream = a.hold('/v1/roster/events');
    expect((await stream.head).status).toBe(200); // an event stream is counted from its first byte
    const held = a.hold(path);
    // The blocking query is counted once the server holds it: then a third is refused at once (bounded).
    let refused: Answer | 'held' = 'held';
    for (let i = 0; i < 50 && refused === 'held'; i++) refused = await a.tryHold(path);
    expect(refused).toMatchObject({ status: 429, headers: { 'retry-after': '1', 'x-consul-index': index } });
    expect((refused as Answer).body).toBe('Too many blocking queries and event streams held by this client (limit 2); retry later');
    const third = await a.tryHold('/v1/roster/events');
    expect(third).toMatchObject({ status: 429 });
    // Another client holds; non-blocking reads of the limited one still run.
    expect(await client(port, '127.0.0.2').tryHold(path)).toBe('held');
    expect((await a.send('/v1/health/service/web')).status).toBe(200);
    // A held query ends (its client goes away): the slot returns.
    held.cancel();
    let again: Answer | 'held' = { status: 0, headers: {}, body: '' };
    for (let i = 0; i < 50 && again !== 'held'; i++) again = await a.tryHold(path);
    expect(again).toBe('held');
    stream.cancel();
  });
});
