/**
 * A data dir on a disk that fills up, for real: a tmpfs of 8 MiB mounted in a mount namespace of
 * this test's own (`unshare -m`, so the mount is gone with the namespace whatever happens), a real
 * roster serve with `sync: 'full'` and registrations over loopback sockets until the disk is full.
 * Then every write is refused with 500 and SQLite's reason, nothing acknowledged is lost, reads go
 * on; once the disk has room again (remounted larger) writes are accepted again; after a restart
 * every acknowledged registration is there and the index has not moved back. The outer test runs
 * this file again inside the namespace (needs root: CI's `.ci/run` runs as root; a developer's
 * non-root run skips it with a message, and ROSTER_REQUIRE_ALL=1 makes that a failure).
 */
import { spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { requireBinary } from '../../../../test-support/system.js';
import { createServer, type RosterServer } from '../index.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const THIS_FILE = 'packages/server/src/durability/disk-full.e2e.test.ts';
/** Set inside the namespace: the tmpfs mount point. */
const insideDir = process.env.ROSTER_DISK_FULL_DIR;

function rootAvailable(): boolean {
  if (process.getuid?.() === 0) return true;
  const message = 'disk-full suite: needs root (a tmpfs mounted in a mount namespace of its own)';
  if (process.env.ROSTER_REQUIRE_ALL === '1') throw new Error(`${message}; ROSTER_REQUIRE_ALL=1 makes this a failure`);
  console.warn(`skipping ${message}`);
  return false;
}

const outer =
  insideDir === undefined &&
  requireBinary('unshare', 'util-linux', 'disk-full suite') &&
  requireBinary('mount', 'mount', 'disk-full suite') &&
  requireBinary('findmnt', 'util-linux', 'disk-full suite') &&
  rootAvailable();

describe.runIf(outer)('roster serve on a disk that fills up (in a mount namespace of its own)', () => {
  it('refuses writes with 500 while full, loses nothing acknowledged, serves reads, and writes again once there is room', () => {
    const mountPoint = mkdtempSync(join(tmpdir(), 'roster-disk-full-'));
    try {
      const script = `mount -t tmpfs -o size=8m tmpfs "${mountPoint}" && exec npx vitest run ${THIS_FILE}`;
      const run = spawnSync('unshare', ['-m', 'sh', '-c', script], {
        cwd: root,
        env: { ...process.env, ROSTER_DISK_FULL_DIR: mountPoint, NO_COLOR: '1', FORCE_COLOR: '0' },
        encoding: 'utf8',
        timeout: 150_000,
      });
      const output = `${run.stdout}\n${run.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
      expect(run.status, output).toBe(0);
      expect(output).toMatch(/Tests\s+1 passed/);
      expect(output).toMatch(/disk full after \d+ registrations/);
    } finally {
      rmSync(mountPoint, { recursive: true, force: true });
    }
  }, 180_000);
});

const SERVICES = 20;

/** PUTs one registration; resolves with the status and the body text. */
async function register(url: string, i: number): Promise<{ status: number; text: string }> {
  const r = await fetch(`${url}/v1/agent/service/register`, {
    method: 'PUT',
    body: JSON.stringify({ Name: `svc-${i % SERVICES}`, ID: `id-${i}`, Port: 1 + (i % 60_000), Meta: { pad: 'x'.repeat(300) } }),
  });
  return { status: r.status, text: await r.text() };
}

/** Every instance ID listed by the catalog, and the index it answered with. */
async function listed(url: string): Promise<{ ids: Set<string>; index: number }> {
  const ids = new Set<string>();
  let index = 0;
  for (let s = 0; s < SERVICES; s++) {
    const r = await fetch(`${url}/v1/catalog/service/svc-${s}`);
    expect(r.status).toBe(200);
    index = Math.max(index, Number(r.headers.get('x-consul-index')));
    for (const entry of (await r.json()) as { ServiceID: string }[]) ids.add(entry.ServiceID);
  }
  return { ids, index };
}

describe.runIf(insideDir !== undefined)('inside the namespace', () => {
  it('fills the disk, then recovers', async () => {
    const dir = insideDir!;
    // The mount must be the test's own tmpfs, or the test would fill a real disk.
    expect(execFileSync('findmnt', ['-n', '-o', 'FSTYPE,SIZE', dir], { encoding: 'utf8' }).trim().split(/\s+/)).toEqual(['tmpfs', '8M']);
    const dataDir = join(dir, 'data');
    const open = async (): Promise<{ server: RosterServer; url: string }> => {
      const server = createServer({ dataDir, port: 0, sync: 'full', logLevel: 'silent', nodeName: 'disk', dns: { port: -1 } });
      return { server, url: (await server.listen()).url };
    };
    let { server, url } = await open();
    try {
      // An instance with a TTL check, passing before the disk fills.
      const ttl = await fetch(`${url}/v1/agent/service/register`, {
        method: 'PUT',
        body: JSON.stringify({ Name: 'svc-0', ID: 'beat', Port: 1, Check: { CheckID: 'beat-ttl', TTL: '10m' } }),
      });
      expect(ttl.status).toBe(200);
      const pass = () => fetch(`${url}/v1/agent/check/pass/beat-ttl`, { method: 'PUT' }).then((r) => r.status);
      expect(await pass()).toBe(200);
      const acked: string[] = ['beat'];
      let refusal: { status: number; text: string } | undefined;
      // Four writers until one is refused (bounded: 40,000 registrations, 60 s).
      const deadline = Date.now() + 60_000;
      let next = 0;
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (refusal === undefined && next < 40_000 && Date.now() < deadline) {
            const i = next++;
            const r = await register(url, i);
            if (r.status === 200) acked.push(`id-${i}`);
            else refusal ??= r;
          }
        }),
      );
      expect(refusal, 'the disk never filled').toBeDefined();
      console.info(`disk full after ${acked.length} registrations: ${refusal!.status} ${refusal!.text}`);
      expect(refusal).toEqual({ status: 500, text: 'Store failed: database or disk is full' });
      // Still full: the next write is refused the same way, reads are answered, nothing acknowledged is missing.
      expect(await register(url, 1_000_000)).toEqual({ status: 500, text: 'Store failed: database or disk is full' });
      const whileFull = await listed(url);
      for (const id of acked) expect(whileFull.ids.has(id), `acknowledged ${id} missing while full`).toBe(true);
      expect(whileFull.ids.has('id-1000000')).toBe(false);
      // A renewal that changes nothing never reaches the store: it is answered while the disk is full.
      expect(await pass()).toBe(200);

      // Room again: the same server accepts writes.
      execFileSync('mount', ['-o', 'remount,size=32m', dir]);
      expect((await register(url, 2_000_000)).status).toBe(200);
      acked.push('id-2000000');

      // A restart keeps everything acknowledged, and the index does not move back.
      const before = await listed(url);
      await server.close();
      ({ server, url } = await open());
      const after = await listed(url);
      for (const id of acked) expect(after.ids.has(id), `acknowledged ${id} missing after the restart`).toBe(true);
      expect(after.ids.size).toBe(acked.length);
      expect(after.index).toBeGreaterThanOrEqual(before.index);
    } finally {
      await server.close();
    }
  }, 120_000);
});
