/**
 * The agent against a real roster serve that restarts with an EMPTY store (a new data dir on the
 * same port): the instance's Lease finds its registration forgotten and registers it again,
 * and a watcher sees it come back, without the service process doing anything.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AnnouncementEvent, announce, type Snapshot } from '@rosterjs/roster';
import { consulRegistry } from '@rosterjs/roster/consul';
import { afterAll, describe, expect, it } from 'vitest';
import { createServer, type RosterServer } from './index.js';

const dirs: string[] = [];
const servers: RosterServer[] = [];

async function serve(port: number): Promise<{ server: RosterServer; url: string; port: number }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'roster-agent-restart-'));
  dirs.push(dataDir);
  const server = createServer({ port, dataDir, logLevel: 'silent', sync: 'normal' });
  servers.push(server);
  const address = await server.listen();
  return { server, url: address.url, port: address.port };
}

afterAll(async () => {
  await Promise.allSettled(servers.map((s) => s.close()));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const until = async <T>(what: string, limitMs: number, probe: () => Promise<T | undefined>): Promise<T> => {
  const end = Date.now() + limitMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`${what}: not within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe('announce() against roster serve restarted with an empty store', () => {
  it('re-registers by itself, and a watcher sees the instance again', async () => {
    const first = await serve(0);
    const registry = consulRegistry({ url: first.url, watchWaitMs: 2000, backoff: { baseMs: 50, maxMs: 300 } });
    const observer = consulRegistry({ url: first.url, watchWaitMs: 2000, backoff: { baseMs: 50, maxMs: 300 } });
    const events: AnnouncementEvent['type'][] = [];
    const announcement = await announce({
      registry,
      service: 'orders',
      id: 'orders-1',
      address: '127.0.0.1',
      port: 9100,
      ttl: '1500ms',
      signals: false,
      lagWatchdog: false,
      drain: { propagationMs: 0 },
    });
    announcement.onEvent((e) => events.push(e.type));
    const watch = observer.watch('orders')[Symbol.asyncIterator]();
    try {
      const firstItem = (await watch.next()).value as Snapshot;
      expect(firstItem.instances.map((i) => i.id)).toEqual(['orders-1']);

      await first.server.close();
      const second = await serve(first.port); // same port, new empty data dir
      expect(second.server.index).toBeLessThan(5);

      // The Lease renews every ttl/3 = 500 ms: the 404 on renewal makes it register again.
      const back = await until('the instance back in the new store', 5000, async () => {
        const snap = await observer.list('orders');
        return snap.instances.find((i) => i.id === 'orders-1');
      });
      expect(back).toMatchObject({ address: '127.0.0.1', port: 9100, health: 'passing' });
      expect(events).toContain('forgotten');
      expect(events).toContain('restored');
      expect(announcement.lease.lost.aborted).toBe(false);

      // The watcher, too, recovers on its own (index reset: the new server's index is lower).
      const seen = await until('the watcher seeing orders-1 again', 10_000, async () => {
        const item = await watch.next();
        const snap = item.done ? undefined : item.value;
        return snap?.instances.some((i) => i.id === 'orders-1') ? snap : undefined;
      });
      expect(seen.service).toBe('orders');
    } finally {
      await watch.return?.();
      await announcement.drain();
      await registry.close();
      await observer.close();
    }
  });
});
