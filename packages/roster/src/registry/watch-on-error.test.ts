/**
 * Every network backend reports the transient errors its watch retries to `onError` (that is how
 * a Resolver knows its view is stale), and keeps the watch open while the registry is down.
 */
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from './connect.js';
import type { Registry } from './registry.js';

/** A loopback port with nothing listening on it. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const opened: Registry[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((r) => r.close()));
});

describe.each([
  ['consul', (port: number) => `consul://127.0.0.1:${port}`],
  ['etcd', (port: number) => `etcd://127.0.0.1:${port}`],
])('%s watch while the registry is unreachable', (_, url) => {
  it('reports retried errors to onError and does not end', async () => {
    const registry = connect(url(await deadPort()), {
      consul: { backoff: { baseMs: 20, maxMs: 50 }, timeoutMs: 500 },
      etcd: { backoff: { baseMs: 20, maxMs: 50 }, requestTimeoutMs: 500 },
    });
    opened.push(registry);
    const errors: Error[] = [];
    const ac = new AbortController();
    const it = registry.watch('orders', { signal: ac.signal, onError: (e) => errors.push(e) })[Symbol.asyncIterator]();
    const next = it.next();
    let settled = false;
    void next.then(() => (settled = true));
    const deadline = Date.now() + 10_000;
    while (errors.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(errors[0]).toMatchObject({ code: 'ROSTER_ERR_REGISTRY_UNAVAILABLE', retryable: true });
    expect(settled).toBe(false);
    ac.abort();
    expect(await next).toEqual({ value: undefined, done: true });
  });
});
