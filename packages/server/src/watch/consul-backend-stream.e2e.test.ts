/**
 * The library's Consul backend finds roster serve's streaming watch by itself: watching many
 * services, one registry holds one long-lived connection (counted on the server side), and
 * against a server without the stream it falls back to one blocking query per service. Also:
 * a stream lost with the server is reopened on the next server, resuming every watch.
 */
import { consulRegistry } from '@rosterjs/roster/consul';
import type { Snapshot } from '@rosterjs/roster';
import { systemClock } from '@rosterjs/roster';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, testServer } from '../testing/test-server.test-helper.js';

afterEach(closeAll);

const N = 20;
const names = Array.from({ length: N }, (_, i) => `svc-${i}`);

async function connections(t: ReturnType<typeof testServer>): Promise<number> {
  return new Promise((resolve, reject) => t.server.httpServer.getConnections((err, n) => (err ? reject(err) : resolve(n))));
}

/** Registers in process (no socket of its own, so the server's connections are the registry's). */
async function register(t: ReturnType<typeof testServer>, name: string, id: string) {
  const res = await t.req('PUT', '/v1/agent/service/register', { Name: name, ID: id, Port: 80 });
  expect(res.statusCode).toBe(200);
}

/** Watches every name; returns each watch's iterator after its first snapshot. */
async function watchAll(registry: ReturnType<typeof consulRegistry>, signal: AbortSignal) {
  const its = names.map((name) => registry.watch(name, { signal })[Symbol.asyncIterator]());
  const first = await Promise.all(its.map((it) => it.next()));
  return { its, first: first.map((r) => r.value as Snapshot) };
}

async function until(what: string, ok: () => Promise<boolean> | boolean, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the Consul backend and the streaming watch', () => {
  it(`watches ${N} services over one stream: one long-lived connection on the server`, async () => {
    const t = testServer({ clock: systemClock });
    const { url } = await t.server.listen();
    for (const name of names) await register(t, name, `${name}-1`);
    const registry = consulRegistry({ url });
    const ac = new AbortController();
    try {
      const { its, first } = await watchAll(registry, ac.signal);
      expect(first.map((s) => s.instances.map((i) => i.id))).toEqual(names.map((n) => [`${n}-1`]));
      expect(t.server.watchStats()).toMatchObject({ streams: 1, watches: N });
      // The stream, plus at most one keep-alive connection its control requests went over.
      expect(await connections(t)).toBeLessThanOrEqual(2);
      // Changes arrive over it.
      await register(t, 'svc-7', 'svc-7-2');
      const next = await its[7]!.next();
      expect((next.value as Snapshot).instances.map((i) => i.id)).toEqual(['svc-7-1', 'svc-7-2']);
      // Ending watches removes them from the stream; the last one closes it.
      ac.abort();
      await until('the stream to close', () => t.server.watchStats().streams === 0);
    } finally {
      ac.abort();
      await registry.close();
    }
  });

  it('falls back to blocking queries when the server has no stream (one held query per service)', async () => {
    const t = testServer({ clock: systemClock, watchStreams: false });
    const { url } = await t.server.listen();
    for (const name of names) await register(t, name, `${name}-1`);
    const registry = consulRegistry({ url });
    const ac = new AbortController();
    try {
      const { its, first } = await watchAll(registry, ac.signal);
      expect(first.map((s) => s.instances.map((i) => i.id))).toEqual(names.map((n) => [`${n}-1`]));
      await until(`${N} held connections`, async () => (await connections(t)) >= N);
      await register(t, 'svc-3', 'svc-3-2');
      const next = await its[3]!.next();
      expect((next.value as Snapshot).instances.map((i) => i.id)).toEqual(['svc-3-1', 'svc-3-2']);
    } finally {
      ac.abort();
      await registry.close();
    }
  });

  it('reopens the stream on a restarted server and resumes every watch', async () => {
    const t = testServer({ clock: systemClock });
    const { url } = await t.server.listen();
    const port = Number(new URL(url).port);
    for (const name of names.slice(0, 3)) await register(t, name, `${name}-1`);
    const errors: Error[] = [];
    const registry = consulRegistry({ url, backoff: { baseMs: 20, maxMs: 200 } });
    const ac = new AbortController();
    try {
      const its = names
        .slice(0, 3)
        .map((n) => registry.watch(n, { signal: ac.signal, onError: (e) => errors.push(e) })[Symbol.asyncIterator]());
      await Promise.all(its.map((it) => it.next()));
      await t.close();
      const again = t.reopen({ port });
      await again.server.listen();
      await register(again, 'svc-1', 'svc-1-2');
      const next = await its[1]!.next();
      expect((next.value as Snapshot).instances.map((i) => i.id)).toEqual(['svc-1-1', 'svc-1-2']);
      expect(errors.length).toBeGreaterThan(0);
      await until('one stream on the new server', () => again.server.watchStats().streams === 1 && again.server.watchStats().watches === 3);
    } finally {
      ac.abort();
      await registry.close();
    }
  });
});
