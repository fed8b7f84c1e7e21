/**
 * An encoded answer (one buffer or cached chunks) leaves the server in one socket write — head,
 * body and end together — over TLS too, where a write completes later than it is made and an
 * end() after the body would be a TLS write (and syscall, and completion callback) of its own
 * (D175). Counted on the server's real TLS socket: every flush of its write queue is one call of
 * the stream's `_write` or `_writev`. Real https server (openssl-made certificates), real client.
 */
import { rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateWorkshop, type CertificateWorkshop } from '../../../../test-support/certificates.js';
import { requireBinary } from '../../../../test-support/system.js';
import { send } from './reply.js';

const available = requireBinary('openssl', 'openssl', 'one-write answers over TLS');

type Flushing = TLSSocket & { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };

describe.runIf(available)('encoded answers over TLS', () => {
  let shop: CertificateWorkshop;
  let app: FastifyInstance;
  let ca = '';
  let port = 0;
  /** Flushes of the server socket's write queue, per connection, in order. */
  let flushes = 0;

  beforeAll(async () => {
    shop = certificateWorkshop();
    ca = shop.issue('ca', { isCa: true }).cert;
    const pair = shop.issue('server', { ca: 'ca', san: 'IP:127.0.0.1' });
    app = Fastify({ https: { cert: pair.cert, key: pair.key } });
    app.server.on('secureConnection', (socket: Flushing) => {
      const write = socket._write.bind(socket);
      const writev = socket._writev.bind(socket);
      socket._write = (...a) => {
        flushes++;
        write(...a);
      };
      socket._writev = (...a) => {
        flushes++;
        writev(...a);
      };
    });
    const chunks = [Buffer.from('[{"a":1}'), Buffer.from(',{"b":2}'), Buffer.from(']')];
    app.get('/chunks', (_req, reply) => send(reply, { kind: 'json', body: null, encoded: chunks, index: 7 }, new URLSearchParams()));
    app.get('/one', (_req, reply) => send(reply, { kind: 'json', body: null, encoded: Buffer.from('"leader"') }, new URLSearchParams()));
    app.get('/none', (_req, reply) => send(reply, { kind: 'json', body: null, encoded: [] }, new URLSearchParams()));
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as AddressInfo).port;
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    if (shop) rmSync(shop.dir, { recursive: true, force: true });
  });

  /** GETs `path` on a fresh kept-alive agent; the body, its headers, and the flushes it cost. */
  async function get(agent: https.Agent, path: string) {
    const before = flushes;
    const res = await new Promise<{ status: number; body: string; headers: Record<string, unknown> }>((resolve, reject) => {
      https
        .get({ host: '127.0.0.1', port, path, ca, agent }, (r) => {
          let body = '';
          r.setEncoding('utf8');
          r.on('data', (c: string) => (body += c));
          r.on('end', () => resolve({ status: r.statusCode ?? 0, body, headers: r.headers }));
        })
        .on('error', reject);
    });
    // The write of the answer was made before the client could read it.
    return { ...res, flushes: flushes - before };
  }

  it('chunks, one buffer and an empty chunk list are each one write, with the right body', async () => {
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < 3; i++) {
        const chunks = await get(agent, '/chunks');
        expect(chunks).toMatchObject({ status: 200, body: '[{"a":1},{"b":2}]', flushes: 1 });
        expect(chunks.headers).toMatchObject({ 'content-length': '17', 'x-consul-index': '7', 'content-type': 'application/json' });
        expect(await get(agent, '/one')).toMatchObject({ status: 200, body: '"leader"', flushes: 1 });
        const none = await get(agent, '/none');
        expect(none).toMatchObject({ status: 200, body: '', flushes: 1 });
        expect(none.headers['content-length']).toBe('0');
      }
    } finally {
      agent.destroy();
    }
  });
});
