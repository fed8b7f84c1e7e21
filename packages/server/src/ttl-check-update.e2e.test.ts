/**
 * The Consul backend's `updateTtlCheck` against a real roster serve over loopback sockets: the
 * three outcomes (updated, no such check, a check the registry runs) and its errors.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { updateTtlCheck } from '@rosterjs/roster/consul';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test-support/etcd.js';
import { createServer, type RosterServer } from './index.js';

let server: RosterServer;
let dataDir = '';
let url = '';

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'roster-ttl-update-'));
  server = createServer({ port: 0, dataDir, logLevel: 'silent', sync: 'normal' });
  url = (await server.listen()).url;
});

afterAll(async () => {
  await server?.close();
  await rm(dataDir, { recursive: true, force: true });
});

const put = (path: string, body: unknown) => fetch(`${url}${path}`, { method: 'PUT', body: JSON.stringify(body) }).then((r) => r.status);
const check = async (id: string) => {
  const checks = (await (await fetch(`${url}/v1/agent/checks`)).json()) as Record<string, { Status: string; Output: string }>;
  return checks[id];
};

describe('updateTtlCheck (roster serve)', () => {
  it('updates a TTL check with its note; says not-found and not-ttl as values', async () => {
    expect(await put('/v1/agent/check/register', { Name: 'job', CheckID: 'job-ttl', TTL: '1h' })).toBe(200);
    expect(await updateTtlCheck('job-ttl', 'warning', { url, note: 'slow' })).toBe('updated');
    expect(await check('job-ttl')).toMatchObject({ Status: 'warning', Output: 'slow' });
    expect(await updateTtlCheck('job-ttl', 'passing', { url: url.replace('http://', 'consul://') })).toBe('updated');
    expect(await check('job-ttl')).toMatchObject({ Status: 'passing' });

    expect(await updateTtlCheck('no-such-check', 'passing', { url })).toBe('not-found');
    const http = { Name: 'web', ID: 'web-1', Port: 1, Check: { HTTP: 'http://127.0.0.1:1/health', Interval: '1h' } };
    expect(await put('/v1/agent/service/register', http)).toBe(200);
    expect(await updateTtlCheck('service:web-1', 'passing', { url })).toBe('not-ttl');
  });

  it('refuses a bad status or URL naming it, and reports an unreachable registry as retryable', async () => {
    await expect(updateTtlCheck('x', 'fine' as 'passing', { url })).rejects.toMatchObject({
      code: 'ROSTER_ERR_INVALID_ARGUMENT',
      field: 'status',
    });
    await expect(updateTtlCheck('x', 'passing', { url: 'etcd://127.0.0.1:2379' })).rejects.toMatchObject({ field: 'url' });
    await expect(updateTtlCheck('x', 'passing', { url: `http://127.0.0.1:${await freePort()}`, timeoutMs: 2000 })).rejects.toMatchObject({
      code: 'ROSTER_ERR_REGISTRY_UNAVAILABLE',
      retryable: true,
    });
  });
});
