/**
 * gzip answers (D82) from a real roster serve over loopback sockets: a client that sends
 * `Accept-Encoding: gzip` gets `Content-Encoding: gzip` and `Vary: Accept-Encoding`, and the
 * bytes inflate to exactly the identity answer; a client without it (or with `gzip;q=0`) gets
 * the identity answer with `Vary`; small answers go out uncompressed; readers of one index get the
 * same bytes (one compression shared: response-cache.test.ts); and the per-entry encoded answer equals the freshly rendered one (`?pretty`)
 * after a run of changes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type RosterServer } from '../index.js';
import { getBytes } from '../testing/get-bytes.test-helper.js';

let server: RosterServer;
let dataDir = '';
let url = '';

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'roster-gzip-'));
  server = createServer({ port: 0, dataDir, logLevel: 'silent', sync: 'normal' });
  url = (await server.listen()).url;
  for (let i = 0; i < 40; i++) {
    const check = { CheckID: `big-${i}:ttl`, Name: 'ttl', TTL: '10m' };
    const r = await fetch(`${url}/v1/agent/service/register`, {
      method: 'PUT',
      body: JSON.stringify({ Name: 'big', ID: `big-${i}`, Address: '127.0.0.1', Port: 2000 + i, Tags: ['t'], Check: check }),
    });
    expect(r.status).toBe(200);
  }
  await fetch(`${url}/v1/agent/service/register`, { method: 'PUT', body: JSON.stringify({ Name: 'tiny', ID: 'tiny-0', Port: 1 }) });
});

afterAll(async () => {
  await server?.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** A GET of `path` on the server under test, body bytes as sent. */
const get = (path: string, headers: Record<string, string> = {}) => getBytes(`${url}${path}`, headers);

describe('gzip answers', () => {
  it('compresses for a client that asks, with Vary; the bytes inflate to the identity answer', async () => {
    const plain = await get('/v1/health/service/big');
    expect(plain.status).toBe(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toBe('Accept-Encoding');
    expect(JSON.parse(plain.body.toString())).toHaveLength(40);

    const gz = await get('/v1/health/service/big', { 'Accept-Encoding': 'gzip, deflate' });
    expect(gz.status).toBe(200);
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers.vary).toBe('Accept-Encoding');
    expect(gz.headers['x-consul-index']).toBe(plain.headers['x-consul-index']);
    expect(Number(gz.headers['content-length'])).toBe(gz.body.length);
    expect(gz.body.length).toBeLessThan(plain.body.length / 4);
    expect(gunzipSync(gz.body).equals(plain.body)).toBe(true);
  });

  it('sends identity to a client that refuses gzip, and small answers uncompressed', async () => {
    const refused = await get('/v1/health/service/big', { 'Accept-Encoding': 'gzip;q=0, identity' });
    expect(refused.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(refused.body.toString())).toHaveLength(40);
    const tiny = await get('/v1/health/service/tiny', { 'Accept-Encoding': 'gzip' });
    expect(tiny.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(tiny.body.toString())).toHaveLength(1);
  });

  it('every reader of one index gets the same compressed bytes; a change gives new ones', async () => {
    const many = await Promise.all(Array.from({ length: 8 }, () => get('/v1/health/service/big', { 'Accept-Encoding': 'gzip' })));
    for (const r of many) expect(r.body.equals(many[0]!.body)).toBe(true);
    await fetch(`${url}/v1/agent/check/pass/big-3:ttl?note=up`, { method: 'PUT' });
    const after = await get('/v1/health/service/big', { 'Accept-Encoding': 'gzip' });
    const entries = JSON.parse(gunzipSync(after.body).toString()) as { Service: { ID: string }; Checks: { Output: string }[] }[];
    expect(entries.find((e) => e.Service.ID === 'big-3')!.Checks[1]!.Output).toBe('up');
  });

  it('the per-entry encoded answer equals the freshly rendered one after changes', async () => {
    const put = (path: string, body?: unknown) =>
      fetch(`${url}${path}`, { method: 'PUT', ...(body === undefined ? {} : { body: JSON.stringify(body) }) }).then((r) => r.status);
    const same = async () => {
      const [fast, fresh] = await Promise.all([get('/v1/health/service/big'), get('/v1/health/service/big?pretty')]);
      expect(JSON.parse(fast.body.toString())).toEqual(JSON.parse(fresh.body.toString()));
    };
    await same();
    expect(await put('/v1/agent/check/fail/big-7:ttl?note=down')).toBe(200);
    await same();
    expect(await put('/v1/agent/service/register', { Name: 'big', ID: 'big-20', Port: 9999, Tags: ['moved'] })).toBe(200);
    await same();
    expect(await put('/v1/agent/check/register', { Name: 'node-disk', TTL: '10m' })).toBe(200);
    expect(await put('/v1/agent/check/warn/node-disk?note=80%25')).toBe(200);
    await same();
    expect(await put('/v1/agent/service/deregister/big-0')).toBe(200);
    await same();
    expect(await put('/v1/agent/service/maintenance/big-5?enable=true&reason=r')).toBe(200);
    await same();
  });
});
