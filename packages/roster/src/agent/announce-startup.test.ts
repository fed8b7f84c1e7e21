/**
 * announce() started before its registry: the first registration waits (with backoff, up to
 * `startupTimeout`) instead of rejecting at once. Against a real roster serve that is started a
 * moment after announce() is called, on a port nothing listened on; and the bounds: a registry
 * that never comes fails after the timeout with the last RegistryUnavailableError, `0` keeps the
 * single attempt, a bad value is refused by name.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from '@rosterjs/server';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors.js';
import { connect } from '../registry/connect.js';
import { announce } from './announce.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise((resolve) => s.close(resolve));
  return port;
}

const base = { service: 'late', address: '127.0.0.1', port: 9, signals: false, lagWatchdog: false } as const;

describe('announce() before the registry is up', () => {
  it('waits for a roster serve started a moment later, then registers', async () => {
    const port = await freePort();
    const dataDir = await mkdtemp(join(tmpdir(), 'roster-startup-'));
    dirs.push(dataDir);
    const registry = connect(`consul://127.0.0.1:${port}`);
    const server = createServer({ port, dataDir, logLevel: 'silent', sync: 'normal' });
    try {
      const announced = announce({ ...base, registry, startupTimeout: '30s' });
      let settled = false;
      void announced.then(
        () => (settled = true),
        () => (settled = true),
      );
      await new Promise((r) => setTimeout(r, 1000));
      expect(settled).toBe(false); // still waiting, not rejected
      await server.listen();
      const announcement = await announced;
      expect((await registry.list('late')).instances.map((i) => i.id)).toEqual([announcement.instance.id]);
      await announcement.drain();
    } finally {
      await registry.close();
      await server.close();
    }
  });

  it('gives up after startupTimeout with the registry error (retryable, RegistryUnavailable)', async () => {
    const registry = connect(`consul://127.0.0.1:${await freePort()}`);
    try {
      const started = Date.now();
      const error = await announce({ ...base, registry, startupTimeout: 800 }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: ErrorCode.RegistryUnavailable, retryable: true });
      expect(Date.now() - started).toBeGreaterThanOrEqual(700);
    } finally {
      await registry.close();
    }
  });

  it('startupTimeout 0 makes one attempt', async () => {
    const registry = connect(`consul://127.0.0.1:${await freePort()}`);
    try {
      await expect(announce({ ...base, registry, startupTimeout: 0 })).rejects.toMatchObject({ code: ErrorCode.RegistryUnavailable });
    } finally {
      await registry.close();
    }
  });

  it('refuses a bad startupTimeout by name', async () => {
    const registry = connect('memory://startup-bad');
    try {
      await expect(announce({ ...base, registry, startupTimeout: 'soon' })).rejects.toMatchObject({ field: 'startupTimeout' });
      await expect(announce({ ...base, registry, startupTimeout: -1 })).rejects.toMatchObject({ field: 'startupTimeout' });
    } finally {
      await registry.close();
    }
  });
});
