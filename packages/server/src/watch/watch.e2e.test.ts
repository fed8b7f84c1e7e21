/**
 * The streaming watch over real sockets: many watches on one connection (added and removed
 * live), resuming from an index, a paused reader that gets the newest state with bounded
 * buffering, ACL filtering, exact refusals of bad control requests, a clean end at shutdown,
 * and the endpoint switched off. Every stream and server a test opens, it closes.
 */
import { type ClientRequest, type IncomingMessage, request } from 'node:http';
import { systemClock } from '@rosterjs/roster';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAclConfig } from '../acl/acl-config.js';
import { closeAll, testServer } from '../testing/test-server.test-helper.js';

/** A line of the stream. */
interface Line {
  Stream?: string;
  Service?: string;
  Index?: number;
  Entries?: { Service: { ID: string; Port: number; Meta: Record<string, string> } }[];
  Filtered?: boolean;
  Closed?: string;
}

/** One open stream, read line by line. */
interface Stream {
  readonly id: string;
  readonly res: IncomingMessage;
  readonly lines: Line[];
  /** Resolves with the first line (after those already seen, from `from`) that matches. */
  next(match: (line: Line) => boolean, from?: number): Promise<Line>;
  readonly ended: Promise<void>;
  close(): void;
}

const open = new Set<ClientRequest>();

afterEach(async () => {
  for (const req of open) req.destroy();
  open.clear();
  await closeAll();
});

async function listening(options: Parameters<typeof testServer>[0] = {}) {
  const t = testServer({ clock: systemClock, ...options });
  const { url } = await t.server.listen();
  return { t, url };
}

function openStream(url: string, query = '', headers: Record<string, string> = {}): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/v1/roster/watch${query}`, { headers, agent: false });
    open.add(req);
    req.once('error', reject);
    req.once('response', (res) => {
      if (res.statusCode !== 200) {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => reject(new Error(`HTTP ${res.statusCode}: ${text}`)));
        return;
      }
      const lines: Line[] = [];
      const waiting = new Set<() => void>();
      let rest = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        rest += chunk;
        let nl: number;
        while ((nl = rest.indexOf('\n')) >= 0) {
          lines.push(JSON.parse(rest.slice(0, nl)) as Line);
          rest = rest.slice(nl + 1);
        }
        for (const w of [...waiting]) w();
      });
      const ended = new Promise<void>((r) => res.once('close', r));
      ended.then(() => {
        for (const w of [...waiting]) w();
      });
      const next = (match: (line: Line) => boolean, from = 0) =>
        new Promise<Line>((ok, fail) => {
          const check = () => {
            const found = lines.slice(from).find(match);
            if (found) {
              waiting.delete(check);
              ok(found);
            } else if (res.complete || res.destroyed) {
              waiting.delete(check);
              fail(new Error(`stream ended without the line; lines: ${JSON.stringify(lines).slice(0, 500)}`));
            }
          };
          waiting.add(check);
          check();
        });
      const stream: Stream = { id: String(res.headers['x-roster-watch-stream']), res, lines, next, ended, close: () => req.destroy() };
      void next((l) => l.Stream !== undefined).then(() => resolve(stream), reject);
    });
    req.end();
  });
}

async function call(method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method, body: body === undefined ? undefined : JSON.stringify(body), headers });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

const register = (url: string, name: string, id: string, port = 80, meta: Record<string, string> = {}, headers = {}) =>
  call('PUT', `${url}/v1/agent/service/register`, { Name: name, ID: id, Port: port, Meta: meta }, headers).then((r) => {
    expect(r.status, r.text).toBe(200);
  });

describe('GET /v1/roster/watch', () => {
  it('carries many watches on one connection, added and removed live', async () => {
    const { t, url } = await listening();
    await register(url, 'web', 'web-1');
    const s = await openStream(url, '?service=web');
    expect(s.id).toMatch(/^[0-9a-f]{32}$/);
    expect(s.lines[0]).toEqual({ Stream: s.id, Index: t.server.index });
    const first = await s.next((l) => l.Service === 'web');
    expect(first.Entries!.map((e) => e.Service.ID)).toEqual(['web-1']);
    // Add 20 more watches on the live stream; each service's state arrives on the same connection.
    const names = Array.from({ length: 20 }, (_, i) => `svc-${i}`);
    for (const name of names) await register(url, name, `${name}-1`, 1000);
    for (const name of names) {
      const r = await call('PUT', `${url}/v1/roster/watch/${s.id}/${name}`);
      expect(r.status, r.text).toBe(200);
      expect(JSON.parse(r.text)).toMatchObject({ Stream: s.id, Service: name });
    }
    for (const name of names) await s.next((l) => l.Service === name && l.Entries!.length === 1);
    expect(t.server.watchStats()).toMatchObject({ streams: 1, watches: 21 });
    // A change reaches only its watch.
    const mark = s.lines.length;
    await register(url, 'svc-3', 'svc-3-2', 1001);
    const changed = await s.next((l) => l.Service === 'svc-3', mark);
    expect(changed.Entries!.map((e) => e.Service.ID)).toEqual(['svc-3-1', 'svc-3-2']);
    // Removed: its changes are no longer sent; the others still are.
    const del = await call('DELETE', `${url}/v1/roster/watch/${s.id}/svc-3`);
    expect(del.status, del.text).toBe(200);
    expect(JSON.parse(del.text)).toEqual({ Stream: s.id, Service: 'svc-3', Watches: 20 });
    const mark2 = s.lines.length;
    await register(url, 'svc-3', 'svc-3-3', 1002);
    await register(url, 'svc-4', 'svc-4-2', 1002);
    await s.next((l) => l.Service === 'svc-4', mark2);
    expect(s.lines.slice(mark2).filter((l) => l.Service === 'svc-3')).toEqual([]);
    s.close();
    await s.ended;
  });

  it('resumes each watch from its index: past it at once, at it only after the next change', async () => {
    const { t, url } = await listening();
    await register(url, 'web', 'web-1');
    const at = t.server.index;
    await register(url, 'db', 'db-1');
    await register(url, 'web', 'web-2');
    const behind = await openStream(url, `?service=web@${at}&service=db@${t.server.index}`);
    const web = await behind.next((l) => l.Service === 'web');
    expect(web.Index).toBeGreaterThan(at);
    expect(web.Entries!.map((e) => e.Service.ID)).toEqual(['web-1', 'web-2']);
    // db was asked at its current index: nothing until it changes.
    await register(url, 'web', 'web-3');
    await behind.next((l) => l.Service === 'web' && l.Entries!.length === 3);
    expect(behind.lines.filter((l) => l.Service === 'db')).toEqual([]);
    const put = await call('PUT', `${url}/v1/roster/watch/${behind.id}/db?index=1`);
    expect(put.status).toBe(200);
    const db = await behind.next((l) => l.Service === 'db');
    expect(db.Entries!.map((e) => e.Service.ID)).toEqual(['db-1']);
    // An index from another server (ahead of this one) is answered at once.
    const ahead = await call('PUT', `${url}/v1/roster/watch/${behind.id}/web?index=${t.server.index + 1000}`);
    expect(ahead.status).toBe(200);
    const mark = behind.lines.length;
    await behind.next((l) => l.Service === 'web', mark);
    behind.close();
  });

  it('a paused reader gets the newest state per service, never a backlog; the server buffers at most about one line', async () => {
    const { t, url } = await listening();
    // ~40 KB per line: the socket and the kernel buffers fill after a few dozen lines.
    const meta = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${i}`, 'x'.repeat(500)]));
    for (let i = 0; i < 1; i++) await register(url, 'big', `big-${i}`, 1, meta);
    const s = await openStream(url, '?service=big');
    await s.next((l) => l.Service === 'big');
    s.res.pause();
    const changes = 300;
    let maxBuffered = 0;
    let sawBlocked = false;
    for (let i = 0; i < changes; i++) {
      await register(url, 'big', 'big-0', 2 + i, meta);
      const [stats] = t.server.watchStats().perStream;
      maxBuffered = Math.max(maxBuffered, stats!.buffered);
      sawBlocked ||= stats!.blocked;
      expect(stats!.pending).toBeLessThanOrEqual(1);
    }
    expect(sawBlocked).toBe(true);
    const lineBytes = JSON.stringify(s.lines[1]).length;
    // Node's high-water mark (16 KiB) plus one line, at most.
    expect(maxBuffered).toBeLessThanOrEqual(16 * 1024 + 2 * lineBytes);
    const finalIndex = t.server.index;
    s.res.resume();
    const last = await s.next((l) => l.Service === 'big' && l.Index === finalIndex);
    expect(last.Entries![0]!.Service.Port).toBe(1 + changes);
    const sent = s.lines.filter((l) => l.Service === 'big').length;
    expect(sent).toBeLessThan(changes / 2);
    s.close();
  });

  it('filters by the ACL like the health endpoints, and refuses control requests with another token', async () => {
    const acl = parseAclConfig({
      default_policy: 'deny',
      policies: { 'orders-read': { service_prefix: { orders: { policy: 'read' } }, node_prefix: { '': { policy: 'read' } } } },
      tokens: [
        { secret_id: 'secret-orders-read', policies: ['orders-read'] },
        { secret_id: 'secret-management', policies: ['global-management'] },
      ],
    });
    const { url } = await listening({ acl });
    const admin = { 'x-consul-token': 'secret-management' };
    await register(url, 'orders', 'orders-1', 80, {}, admin);
    await register(url, 'orders-v2', 'orders-v2-1', 80, {}, admin);
    await register(url, 'billing', 'billing-1', 80, {}, admin);
    const reader = { 'x-consul-token': 'secret-orders-read' };
    const s = await openStream(url, '?service=orders&service=billing', reader);
    const orders = await s.next((l) => l.Service === 'orders');
    expect(orders.Entries!.map((e) => e.Service.ID)).toEqual(['orders-1']);
    expect(orders.Filtered).toBeUndefined();
    const billing = await s.next((l) => l.Service === 'billing');
    expect(billing).toMatchObject({ Entries: [], Filtered: true });
    const r = await call('PUT', `${url}/v1/roster/watch/${s.id}/orders-v2`, undefined, reader);
    expect(r.status).toBe(200);
    const v2 = await s.next((l) => l.Service === 'orders-v2');
    expect(v2.Entries!.map((e) => e.Service.ID)).toEqual(['orders-v2-1']);
    const other = await call('PUT', `${url}/v1/roster/watch/${s.id}/billing`, undefined, admin);
    expect([other.status, other.text]).toEqual([403, `Permission denied: watch stream ${s.id} was opened with another token`]);
    const unknown = await call('GET', `${url}/v1/roster/watch`, undefined, { 'x-consul-token': 'nobody' });
    expect([unknown.status, unknown.text]).toEqual([403, 'ACL not found']);
    s.close();
  });

  it('answers bad control requests with the exact 4xx naming what is wrong', async () => {
    const { url } = await listening({ maxWatchesPerStream: 2, maxWatchStreams: 1 });
    const s = await openStream(url);
    const base = `${url}/v1/roster/watch`;
    const cases: [string, string, number, string][] = [
      [
        'PUT',
        `${base}/0123456789abcdef0123456789abcdef/web`,
        404,
        'No watch stream "0123456789abcdef0123456789abcdef" (it ended, or never existed)',
      ],
      ['PUT', `${base}/${s.id}`, 400, 'Missing service name: use /v1/roster/watch/<stream>/<service>'],
      ['PUT', `${base}/${s.id}/`, 400, 'Missing service name'],
      ['PUT', `${base}/${s.id}/web?index=abc`, 400, 'Invalid index "abc" of web: must be decimal digits'],
      ['PUT', `${base}/${s.id}/${'x'.repeat(257)}`, 400, 'Invalid service name: longer than 256 characters'],
      ['PUT', `${base}/${s.id}/we%01b`, 400, 'Invalid service name "we\\u0001b": control characters or "/"'],
      ['DELETE', `${base}/${s.id}/web`, 404, `Service "web" is not watched on stream ${s.id}`],
      ['GET', `${base}/${s.id}/web`, 405, 'method GET not allowed'],
      ['GET', `${base}?service=web@x1`, 400, 'Invalid index "x1" of ?service=web: must be decimal digits'],
    ];
    for (const [method, target, status, text] of cases) {
      const r = await call(method, target);
      expect([method, target, r.status, r.text]).toEqual([method, target, status, text]);
    }
    expect((await call('PUT', `${base}/${s.id}/a`)).status).toBe(200);
    expect((await call('PUT', `${base}/${s.id}/b`)).status).toBe(200);
    expect((await call('PUT', `${base}/${s.id}/A`)).status).toBe(200); // the same watch (names are case-insensitive)
    const over = await call('PUT', `${base}/${s.id}/c`);
    expect([over.status, over.text]).toEqual([400, `Too many watches on stream ${s.id} (limit 2); remove one or open another stream`]);
    const second = await call('GET', base);
    expect([second.status, second.text, second.headers.get('retry-after')]).toEqual([
      503,
      'Too many watch streams open (limit 1); retry later',
      '1',
    ]);
    s.close();
  });

  it('ends every stream with a last line when the server shuts down', async () => {
    const { t, url } = await listening();
    await register(url, 'web', 'web-1');
    const a = await openStream(url, '?service=web');
    const b = await openStream(url, '?service=web');
    await t.server.close();
    await Promise.all([a.ended, b.ended]);
    expect(a.lines.at(-1)).toEqual({ Closed: 'server shutting down' });
    expect(b.lines.at(-1)).toEqual({ Closed: 'server shutting down' });
    expect(t.server.watchStats().streams).toBe(0);
  });

  it('forgets a stream whose client went away', async () => {
    const { t, url } = await listening();
    const s = await openStream(url, '?service=web');
    expect(t.server.watchStats().streams).toBe(1);
    s.close();
    for (let i = 0; i < 100 && t.server.watchStats().streams > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(t.server.watchStats()).toMatchObject({ streams: 0, watches: 0 });
  });

  it('is absent (404, as on a server without it) when switched off', async () => {
    const { url } = await listening({ watchStreams: false });
    const r = await call('GET', `${url}/v1/roster/watch`);
    expect([r.status, r.text]).toEqual([404, 'Invalid URL path: not a recognized HTTP API endpoint\n']);
  });
});
