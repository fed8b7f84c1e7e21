/**
 * With `--sync full` a write is acknowledged only after a sync of the WAL that started after its
 * transaction committed (D80). A real roster serve over loopback sockets, with an injected slow
 * sync (option `syncFile`) that holds each sync until the test releases it and then runs the real
 * `fdatasync`: while a sync is held, no write it covers is answered and no held blocking query
 * wakes; a write that committed during the held sync waits for the next sync; a failed sync
 * answers 500; `sync: 'normal'` never syncs per write.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type RosterServer } from '../index.js';
import { fdatasyncFile } from '../store/store.js';

const servers: RosterServer[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** A sync the test opens and closes; every call is logged in `events`. */
function gatedSync(events: string[]) {
  let closed = false;
  let waiting: (() => void)[] = [];
  let calls = 0;
  let fail: Error | undefined;
  return {
    get calls() {
      return calls;
    },
    close() {
      closed = true;
    },
    /** Lets the held syncs (and later ones) go on to the real fdatasync. */
    open() {
      closed = false;
      events.push('release');
      for (const w of waiting.splice(0)) w();
    },
    /** Lets exactly the syncs held now go on; later ones are held again. */
    releaseHeld() {
      events.push('release');
      const held = waiting;
      waiting = [];
      for (const w of held) w();
    },
    failNext(error: Error) {
      fail = error;
    },
    async syncFile(fd: number) {
      calls++;
      events.push(`sync ${calls}`);
      if (fail) {
        const e = fail;
        fail = undefined;
        throw e;
      }
      if (closed) await new Promise<void>((r) => waiting.push(r));
      await fdatasyncFile(fd);
    },
  };
}

async function start(sync: 'full' | 'normal', syncFile: (fd: number) => Promise<void>) {
  const dataDir = await mkdtemp(join(tmpdir(), 'roster-ack-sync-'));
  dirs.push(dataDir);
  const server = createServer({ port: 0, dataDir, logLevel: 'silent', sync, syncFile });
  servers.push(server);
  const { url } = await server.listen();
  const register = (id: string, port = 80) =>
    fetch(`${url}/v1/agent/service/register`, { method: 'PUT', body: JSON.stringify({ Name: 'svc', ID: id, Port: port }) });
  return { server, url, register };
}

/** Polls (bounded) until `cond` holds. */
async function until(cond: () => boolean, what: string, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(5);
  }
}

describe('acknowledgement after sync (--sync full)', () => {
  it('answers no write and wakes no held query before a sync that covers it completed', async () => {
    const events: string[] = [];
    const gate = gatedSync(events);
    const { url, register } = await start('full', (fd) => gate.syncFile(fd));
    expect((await register('warm')).status).toBe(200);
    expect(gate.calls).toBeGreaterThan(0);
    const first = await fetch(`${url}/v1/health/service/svc`);
    await first.arrayBuffer();
    const index = Number(first.headers.get('x-consul-index'));
    const held = fetch(`${url}/v1/health/service/svc?index=${index}&wait=30s`).then(async (r) => {
      events.push('woken');
      return Number(r.headers.get('x-consul-index'));
    });
    // Let the query be held before the writes.
    await delay(100);

    gate.close();
    const before = gate.calls;
    const writes = ['a1', 'a2', 'a3'].map((id) =>
      register(id).then((r) => {
        events.push(`ack ${id}`);
        return r.status;
      }),
    );
    await until(() => gate.calls > before, 'a sync to start');
    // Committed (the catalog in memory shows them), not yet durable: nobody is answered.
    await delay(300);
    expect(events.filter((e) => e.startsWith('ack') || e === 'woken')).toEqual([]);

    gate.open();
    expect(await Promise.all(writes)).toEqual([200, 200, 200]);
    expect(await held).toBeGreaterThan(index);
    const release = events.indexOf('release');
    for (const e of ['ack a1', 'ack a2', 'ack a3', 'woken']) expect(events.indexOf(e)).toBeGreaterThan(release);
  });

  it('a write committed while a sync runs waits for the next sync', async () => {
    const events: string[] = [];
    const gate = gatedSync(events);
    const { url, register } = await start('full', (fd) => gate.syncFile(fd));
    expect((await register('warm')).status).toBe(200);
    const visible = async (id: string) => {
      const r = await fetch(`${url}/v1/agent/service/${id}`);
      await r.arrayBuffer();
      return r.status === 200;
    };
    gate.close();
    const before = gate.calls;
    const c1 = register('c1').then((r) => (events.push('ack c1'), r.status));
    await until(() => gate.calls > before, 'the first sync to start');
    const c2 = register('c2').then((r) => (events.push('ack c2'), r.status));
    // c2 is committed (reads see it) while the first sync is held.
    for (let i = 0; i < 200 && !(await visible('c2')); i++) await delay(10);
    expect(await visible('c2')).toBe(true);

    gate.releaseHeld();
    expect(await c1).toBe(200);
    await until(() => gate.calls > before + 1, 'the second sync to start');
    await delay(200);
    expect(events).not.toContain('ack c2');
    gate.open();
    expect(await c2).toBe(200);
    expect(events.indexOf('ack c2')).toBeGreaterThan(events.lastIndexOf('release'));
  });

  it('answers 500 naming the sync when it fails, and goes on afterwards', async () => {
    const events: string[] = [];
    const gate = gatedSync(events);
    const { register } = await start('full', (fd) => gate.syncFile(fd));
    expect((await register('ok-1')).status).toBe(200);
    gate.failNext(new Error('EIO: injected'));
    const failed = await register('bad-1');
    expect(failed.status).toBe(500);
    expect(await failed.text()).toMatch(/^Store failed: sync: EIO: injected/);
    expect((await register('ok-2')).status).toBe(200);
  });

  it('close waits for the sync in flight and answers the write it covers', async () => {
    const events: string[] = [];
    const gate = gatedSync(events);
    const { server, url } = await start('full', (fd) => gate.syncFile(fd));
    gate.close();
    const before = gate.calls;
    // Connection: close, so the server's close does not wait for an idle keep-alive connection.
    const write = putOnce(`${url}/v1/agent/service/register`, JSON.stringify({ Name: 'svc', ID: 'x1', Port: 80 }));
    await until(() => gate.calls > before, 'the sync to start');
    let closed = false;
    const closing = server.close().then(() => (closed = true));
    await delay(200);
    expect(closed).toBe(false);
    gate.open();
    await closing;
    expect(await write).toBe(200);
  });
});

/** One PUT on its own connection (Connection: close); resolves with the status. */
function putOnce(url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'PUT', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('--sync normal', () => {
  it('never syncs per write', async () => {
    const events: string[] = [];
    const gate = gatedSync(events);
    const { register } = await start('normal', (fd) => gate.syncFile(fd));
    for (const id of ['n1', 'n2', 'n3']) expect((await register(id)).status).toBe(200);
    expect(gate.calls).toBe(0);
  });
});
