/**
 * The limit on open connections holds over TLS too (real sockets on 127.0.0.1, openssl-made
 * certificates): with `maxConnections: 1`, a second TLS connection's request is answered 503
 * saying why and the connection is closed; once the first is closed, a new one is answered.
 * (Counting the raw TCP sockets let every TLS connection through: requests arrive on the TLS
 * socket, which was never marked.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateWorkshop, type CertificateWorkshop } from '../../../../test-support/certificates.js';
import { requireBinary } from '../../../../test-support/system.js';
import { createServer, type RosterServer } from '../index.js';

const available = requireBinary('openssl', 'openssl', 'TLS connection-limit suite');

describe.runIf(available)('the connection limit over TLS', () => {
  let shop: CertificateWorkshop;
  let dir = '';
  let server: RosterServer;
  let port = 0;
  let ca = '';

  beforeAll(async () => {
    shop = certificateWorkshop();
    ca = shop.issue('ca', { isCa: true }).cert;
    const pair = shop.issue('server', { ca: 'ca', san: 'IP:127.0.0.1' });
    dir = mkdtempSync(join(tmpdir(), 'roster-connlimit-tls-'));
    server = createServer({
      port: 0,
      dataDir: dir,
      logLevel: 'silent',
      sync: 'normal',
      maxConnections: 1,
      tls: { certFile: pair.certFile, keyFile: pair.keyFile },
    });
    port = (await server.listen()).port;
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (shop) rmSync(shop.dir, { recursive: true, force: true });
  });

  /** Opens a TLS connection, sends one GET, resolves with the socket and the whole answer head + body read so far. */
  function request(): Promise<{ socket: tls.TLSSocket; text: string; closed: Promise<void> }> {
    return new Promise((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port, ca }, () => {
        socket.write('GET /v1/status/leader HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      });
      const closed = new Promise<void>((done) => socket.once('close', () => done()));
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        text += chunk;
        const end = text.indexOf('\r\n\r\n');
        const length = /content-length: (\d+)/i.exec(text);
        if (end >= 0 && length && text.length >= end + 4 + Number(length[1])) resolve({ socket, text, closed });
      });
      socket.on('error', reject);
    });
  }

  it('a TLS connection over the limit is answered 503 and closed; after the first closes, a new one is answered', async () => {
    const first = await request();
    expect(first.text).toMatch(/^HTTP\/1\.1 200 /);
    const second = await request();
    expect(second.text).toMatch(/^HTTP\/1\.1 503 /);
    expect(second.text).toContain('Too many connections (limit 1)');
    await second.closed;
    first.socket.destroy();
    await first.closed;
    // The server sees the close asynchronously: the next connection is answered once it has.
    let third = await request();
    for (let i = 0; i < 50 && !/^HTTP\/1\.1 200 /.test(third.text); i++) {
      third.socket.destroy();
      await new Promise((r) => setTimeout(r, 20));
      third = await request();
    }
    expect(third.text).toMatch(/^HTTP\/1\.1 200 /);
    third.socket.destroy();
  });
});
