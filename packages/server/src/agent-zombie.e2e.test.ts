/**
 * Zombie instances against a real roster serve over real sockets: a service process whose
 * node:http server stops listening turns its announced instance `critical` in the registry
 * within one heartbeat (ttl 3 s → a heartbeat every 1 s, on the system clock), and a watcher
 * sees it; the process keeps heartbeating, so the instance stays registered (and critical).
 */
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AnnouncementEvent, announce, type Snapshot } from '@rosterjs/roster';
import { consulRegistry } from '@rosterjs/roster/consul';
import { afterAll, describe, expect, it } from 'vitest';
import { createServer, type RosterServer } from './index.js';

let dataDir = '';
let roster: RosterServer | undefined;
afterAll(async () => {
  await roster?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('announce() against roster serve: a closed HTTP server', () => {
  it('turns the instance critical within one heartbeat, and a watcher sees it', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'roster-zombie-'));
    roster = createServer({ port: 0, dataDir, logLevel: 'silent', sync: 'normal' });
    const { url } = await roster.listen();
    const registry = consulRegistry({ url, watchWaitMs: 2000 });
    const observer = consulRegistry({ url, watchWaitMs: 2000 });
    const app = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    const announcement = await announce({
      registry,
      service: 'zombie',
      id: 'z-1',
      address: '127.0.0.1',
      ttl: '3s',
      server: app,
      signals: false,
      lagWatchdog: false,
      drain: { propagationMs: 0 },
    });
    const events: AnnouncementEvent[] = [];
    announcement.onEvent((e) => events.push(e));
    const ac = new AbortController();
    const seen: { at: number; health: string }[] = [];
    const watching = (async () => {
      for await (const s of observer.watch('zombie', { signal: ac.signal }) as AsyncIterable<Snapshot>) {
        seen.push({ at: Date.now(), health: s.instances.map((i) => i.health).join() });
      }
    })();
    try {
      const deadline = Date.now() + 5000;
      while (seen.at(-1)?.health !== 'passing' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(seen.at(-1)?.health).toBe('passing');

      const closedAt = Date.now();
      await new Promise<void>((resolve) => app.close(() => resolve()));
      // One heartbeat is 1 s; the limit leaves room for a loaded machine, the measured time is printed.
      while (seen.at(-1)?.health !== 'critical' && Date.now() < closedAt + 10_000) await new Promise((r) => setTimeout(r, 50));
      const critical = seen.at(-1);
      expect(critical?.health).toBe('critical');
      console.info(`zombie: roster serve's watcher saw the instance critical ${(critical?.at ?? 0) - closedAt} ms after the server closed`);
      expect(events.filter((e) => e.type === 'server')).toEqual([expect.objectContaining({ listening: false })]);
      const [instance] = (await observer.list('zombie')).instances;
      expect(instance).toMatchObject({ id: 'z-1', health: 'critical' });
    } finally {
      ac.abort();
      await watching;
      await announcement.drain();
      await registry.close();
      await observer.close();
    }
  });
});
