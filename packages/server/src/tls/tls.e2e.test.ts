/**
 * TLS matrix over real sockets (127.0.0.1 only) with certificates made by openssl: with
 * verify-incoming, no client certificate / one from another CA / an expired one are refused
 * and a good one is answered; without it, a client without a certificate is answered; a client
 * that does not trust the server's CA refuses it; a pair rotated on disk and reloaded is served
 * to the next connection.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type RosterServer } from '../index.js';

const dir = mkdtempSync(join(tmpdir(), 'roster-tls-'));
const f = (name: string) => join(dir, name);
const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

/** A key and a certificate signed by `ca` (self-signed when undefined), valid for `days` (negative: expired). */
function issue(name: string, cn: string, ca: string | undefined, days: number, san?: string): void {
  ssl(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    `/CN=${cn}`,
  );
  const ext = san ? ['-extfile', writeExt(name, san)] : [];
  if (ca === undefined)
    ssl('x509', '-req', '-in', `${name}.csr`, '-signkey', `${name}.key`, '-out', `${name}.pem`, '-days', String(days), ...ext);
  else
    ssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.pem`,
      '-CAkey',
      `${ca}.key`,
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      String(days),
      ...ext,
    );
}
function writeExt(name: string, san: string): string {
  writeFileSync(f(`${name}.ext`), `subjectAltName=${san}\n`);
  return `${name}.ext`;
}

const servers: RosterServer[] = [];
beforeAll(() => {
  issue('ca', 'test-ca', undefined, 2);
  issue('other-ca', 'other-ca', undefined, 2);
  issue('server', 'roster', 'ca', 2, 'IP:127.0.0.1');
  issue('server2', 'roster-rotated', 'ca', 2, 'IP:127.0.0.1');
  issue('client', 'client', 'ca', 2);
  issue('foreign', 'client', 'other-ca', 2);
  issue('expired', 'client', 'ca', -1);
  copyFileSync(f('server.pem'), f('live.pem'));
  copyFileSync(f('server.key'), f('live.key'));
}, 60_000);
afterAll(async () => {
  for (const s of servers) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

async function start(verifyIncoming: boolean): Promise<{ server: RosterServer; port: number }> {
  const server = createServer({
    port: 0,
    dataDir: mkdtempSync(join(dir, 'data-')),
    logLevel: 'silent',
    sync: 'normal',
    tls: { certFile: f('live.pem'), keyFile: f('live.key'), caFile: f('ca.pem'), verifyIncoming },
  });
  servers.push(server);
  const address = await server.listen();
  expect(address.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  return { server, port: address.port };
}

/** GET /v1/status/leader: `200 <CN of the server certificate>` or `refused: <error code>`. */
function get(port: number, client: { cert?: string; trust?: string } = {}): Promise<string> {
  return new Promise((resolve) => {
    const req = https.get(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/status/leader',
        agent: false,
        ca: readFileSync(f(`${client.trust ?? 'ca'}.pem`)),
        ...(client.cert ? { cert: readFileSync(f(`${client.cert}.pem`)), key: readFileSync(f(`${client.cert}.key`)) } : {}),
      },
      (res) => {
        const cn = (res.socket as TLSSocket).getPeerCertificate().subject?.CN;
        res.resume();
        res.on('end', () => resolve(`${res.statusCode} ${cn}`));
        res.on('error', (e: NodeJS.ErrnoException) => resolve(`refused: ${e.code ?? e.message}`));
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => resolve(`refused: ${e.code ?? e.message}`));
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
  });
}

describe('TLS matrix', () => {
  it('with verify-incoming: only a client certificate from the CA, still valid, gets an answer', async () => {
    const { port } = await start(true);
    expect(await get(port, { cert: 'client' })).toBe('200 roster');
    expect(await get(port)).toMatch(/^refused: /);
    expect(await get(port, { cert: 'foreign' })).toMatch(/^refused: /);
    expect(await get(port, { cert: 'expired' })).toMatch(/^refused: /);
  });

  it('without verify-incoming: a client without a certificate is answered; a client that does not trust the CA refuses the server', async () => {
    const { port } = await start(false);
    expect(await get(port)).toBe('200 roster');
    expect(await get(port, { trust: 'other-ca' })).toMatch(/^refused: .*(UNABLE_TO_VERIFY|SELF_SIGNED|unable to verify)/i);
  });

  it('a rotated pair is served to the next connection after reload; an unreadable file keeps the old one', async () => {
    const { server, port } = await start(false);
    expect(await get(port)).toBe('200 roster');
    copyFileSync(f('server2.pem'), f('live.pem'));
    copyFileSync(f('server2.key'), f('live.key'));
    server.reload({ tls: true });
    expect(await get(port)).toBe('200 roster-rotated');
    rmSync(f('live.key'));
    expect(() => server.reload({ tls: true })).toThrow(/tls\.keyFile: cannot read/);
    expect(await get(port)).toBe('200 roster-rotated');
  });
});
