/**
 * The Consul watch's index rules over real HTTP, against a scripted loopback server that answers
 * `/v1/health/service/<name>` with whatever index the test says: a server answering at once
 * with an unmoved index does not make the watch spin; an index that goes backwards calls
 * `onReset`, restarts from index 0, and the yielded revisions still increase.
 */
import { once } from 'node:events';
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../model.js';
import { consulRegistry } from './consul-registry.js';

interface Scripted {
  readonly url: string;
  /** `index` query of every request received. */
  readonly asked: string[];
  /** What the next answers carry. */
  answer: { index: number; ids: string[] };
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function scriptedConsul(): Promise<Scripted> {
  const state: Scripted = { url: '', asked: [], answer: { index: 5, ids: ['a'] } };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    // As real Consul: no streaming watch (the backend's probe of it is answered 404 and not counted).
    if (!url.pathname.startsWith('/v1/health/service/')) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('Invalid URL path: not a recognized HTTP API endpoint\n');
      return;
    }
    state.asked.push(url.searchParams.get('index') ?? '');
    const body = state.answer.ids.map((id) => ({
      Node: { Node: 'n1', Address: '127.0.0.1' },
      Service: { ID: id, Service: 'orders', Address: '127.0.0.1', Port: 80, Tags: [], Meta: {}, Weights: { Passing: 1, Warning: 1 } },
      Checks: [],
    }));
    res.writeHead(200, { 'content-type': 'application/json', 'x-consul-index': String(state.answer.index) });
    res.end(JSON.stringify(body));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => new Promise<void>((r) => server.close(() => r())));
  server.keepAliveTimeout = 1000;
  return Object.assign(state, { url: `http://127.0.0.1:${(server.address() as { port: number }).port}` });
}

describe('Consul watch index rules (scripted server)', () => {
  it('a server answering at once with the same index does not make the watch spin', async () => {
    const consul = await scriptedConsul();
    const registry = consulRegistry({ url: consul.url, watchWaitMs: 60_000, backoff: { baseMs: 100, maxMs: 1000 } });
    closers.push(() => registry.close());
    const ac = new AbortController();
    const seen: Snapshot[] = [];
    const done = (async () => {
      for await (const s of registry.watch('orders', { signal: ac.signal })) seen.push(s);
    })();
    await new Promise((r) => setTimeout(r, 2000));
    ac.abort();
    await done;
    // Without the guard: one request per round trip (thousands in 2 s). With it: ≥ 100 ms apart, growing.
    expect(consul.asked.length).toBeLessThan(25);
    expect(consul.asked.length).toBeGreaterThan(2);
    expect(consul.asked[0]).toBe('');
    expect(consul.asked.slice(1).every((i) => i === '5')).toBe(true);
    expect(seen.map((s) => s.instances.map((i) => i.id))).toEqual([['a']]); // unmoved: no update
  });

  it('an index that goes backwards calls onReset, restarts from 0, and revisions still increase', async () => {
    const consul = await scriptedConsul();
    consul.answer = { index: 500, ids: ['a', 'b'] };
    const registry = consulRegistry({ url: consul.url, watchWaitMs: 1000, backoff: { baseMs: 50, maxMs: 100 } });
    closers.push(() => registry.close());
    const ac = new AbortController();
    const seen: Snapshot[] = [];
    let resets = 0;
    const iterator = registry.watch('orders', { signal: ac.signal, onReset: () => resets++ })[Symbol.asyncIterator]();
    seen.push((await iterator.next()).value as Snapshot);
    consul.answer = { index: 3, ids: [] }; // the server restarted empty
    seen.push((await iterator.next()).value as Snapshot);
    consul.answer = { index: 4, ids: ['a'] };
    seen.push((await iterator.next()).value as Snapshot);
    ac.abort();
    await iterator.return?.();
    expect(resets).toBe(1);
    expect(seen.map((s) => s.instances.map((i) => i.id))).toEqual([['a', 'b'], [], ['a']]);
    const revisions = seen.map((s) => s.revision);
    expect(revisions[1]).toBeGreaterThan(revisions[0] as number);
    expect(revisions[2]).toBeGreaterThan(revisions[1] as number);
    // After the reset the next query went without an index (0), then blocked on the new one.
    const afterReset = consul.asked.slice(consul.asked.indexOf('500') + 1);
    expect(afterReset[0]).toBe('');
  });
});
