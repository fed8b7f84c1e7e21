/**
 * The Consul backend, announce() and createFetch against roster serve over real sockets
 * (127.0.0.1) with mutual TLS (verify-incoming; certificates made by openssl) and default-deny
 * ACLs: tokens from the option, a token file, ROSTER_TOKEN / CONSUL_HTTP_TOKEN /
 * CONSUL_HTTP_TOKEN_FILE; TLS from the option (PEM or files) and from CONSUL_CACERT /
 * CONSUL_CLIENT_CERT / CONSUL_CLIENT_KEY. A refused token is an AccessDeniedError (not
 * retried); the token never shows in an error message.
 */
import { writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeTestCertificates, type TestCertificates } from '../../../../../test-support/etcd.js';
import {
  CONSUL_CLIENT_VARIABLES,
  ordersAcl,
  type SecureRegistry,
  startSecureRegistry,
} from '../../../../../test-support/secure-registry.js';
import { requireBinary } from '../../../../../test-support/system.js';
import { announce } from '../../agent/announce.js';
import { ErrorCode, isRosterError } from '../../errors.js';
import { createFetch } from '../../fetch/create-fetch.js';
import { connect } from '../connect.js';
import type { Registry } from '../registry.js';
import { consulRegistry } from './consul-registry.js';
import { updateTtlCheck } from './ttl-check-update.js';

const available = requireBinary('openssl', 'openssl', 'Consul backend TLS + ACL suite');

const WRITE = 'secret-orders-write-7f3a';
const READ = 'secret-orders-read-91c2';
const MANAGEMENT = 'secret-management-55aa';
const acl = ordersAcl({ write: WRITE, read: READ, management: MANAGEMENT });

/** Clears every variable the backend reads, so the host's environment cannot leak into a case. */
function clearEnv(): void {
  for (const name of CONSUL_CLIENT_VARIABLES) vi.stubEnv(name, '');
}

describe.runIf(available)('Consul backend against roster serve with mutual TLS and ACLs', () => {
  let certs: TestCertificates;
  let registry: SecureRegistry | undefined;
  let dir = '';
  let url = '';
  let tls: { caFile: string; certFile: string; keyFile: string };
  const clients: Registry[] = [];
  const track = (r: Registry) => {
    clients.push(r);
    return r;
  };
  const instance = { service: 'orders', address: '127.0.0.1', port: 8080, ttl: '30s' } as const;

  beforeAll(async () => {
    certs = await makeTestCertificates();
    tls = { caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile };
    registry = await startSecureRegistry('consul-security', {
      acl,
      tls: { certFile: certs.certFile, keyFile: certs.keyFile, caFile: certs.caFile, verifyIncoming: true },
    });
    ({ url, dir } = registry);
  }, 60_000);
  afterEach(async () => {
    vi.unstubAllEnvs();
    await Promise.allSettled(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await registry?.close();
    if (certs) await rm(certs.dir, { recursive: true, force: true });
  });

  it('registers, lists, renews and deregisters with a write token and client certificate files', async () => {
    clearEnv();
    const r = track(connect(url, { consul: { token: WRITE, tls } }));
    const lease = await r.register({ ...instance, id: 'orders-1' });
    expect((await r.list('orders')).instances.map((i) => i.id)).toEqual(['orders-1']);
    await lease.setHealth('passing', 'ok');
    expect((await r.list('orders')).instances[0]?.health).toBe('passing');
    await lease.deregister();
    expect((await r.list('orders')).instances).toEqual([]);
  });

  it('takes the TLS material as PEM too (https:// URL)', async () => {
    clearEnv();
    const { readFileSync } = await import('node:fs');
    const r = track(
      consulRegistry({
        url: url.replace('consul+https', 'https'),
        token: READ,
        tls: { ca: readFileSync(certs.caFile), cert: readFileSync(certs.clientCertFile, 'utf8'), key: readFileSync(certs.clientKeyFile) },
      }),
    );
    expect((await r.list('orders')).instances).toEqual([]);
  });

  it("reads Consul's variables: CONSUL_CACERT, CONSUL_CLIENT_CERT, CONSUL_CLIENT_KEY and CONSUL_HTTP_TOKEN_FILE", async () => {
    clearEnv();
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, `${WRITE}\n`, { mode: 0o600 });
    vi.stubEnv('CONSUL_CACERT', certs.caFile);
    vi.stubEnv('CONSUL_CLIENT_CERT', certs.clientCertFile);
    vi.stubEnv('CONSUL_CLIENT_KEY', certs.clientKeyFile);
    vi.stubEnv('CONSUL_HTTP_TOKEN_FILE', tokenFile);
    const r = track(connect(url));
    const lease = await r.register({ ...instance, id: 'orders-env' });
    expect((await r.list('orders')).instances.map((i) => i.id)).toEqual(['orders-env']);
    await lease.deregister();
  });

  it('token precedence: the option, then tokenFile, then ROSTER_TOKEN over CONSUL_HTTP_TOKEN', async () => {
    clearEnv();
    const tokenFile = join(dir, 'read-token');
    writeFileSync(tokenFile, `  ${READ}  \n`);
    vi.stubEnv('ROSTER_TOKEN', WRITE);
    vi.stubEnv('CONSUL_HTTP_TOKEN', READ);
    // ROSTER_TOKEN (write) wins over CONSUL_HTTP_TOKEN (read): the write succeeds.
    const byEnv = track(connect(url, { consul: { tls } }));
    await (await byEnv.register({ ...instance, id: 'orders-p' })).deregister();
    // tokenFile (read) wins over ROSTER_TOKEN: the write is denied.
    const byFile = track(connect(url, { consul: { tls, tokenFile } }));
    await expect(byFile.register({ ...instance, id: 'orders-q' })).rejects.toMatchObject({ code: ErrorCode.AccessDenied });
    // The token option wins over everything.
    const byOption = track(connect(url, { consul: { tls, token: WRITE } }));
    await (await byOption.register({ ...instance, id: 'orders-r' })).deregister();
  });

  it("a write the token may not make is an AccessDeniedError at once (not retried), with Consul's text and without the token", async () => {
    clearEnv();
    const r = track(connect(url, { consul: { tls, token: READ } }));
    const started = Date.now();
    const error = await r.register({ ...instance, id: 'orders-x' }).catch((e: unknown) => e);
    expect(isRosterError(error) && error.code).toBe(ErrorCode.AccessDenied);
    expect(error).toMatchObject({ retryable: false });
    expect((error as Error).message).toMatch(
      /Permission denied: token with AccessorID '[0-9a-f-]{36}' lacks permission 'service:write' on "orders"/,
    );
    expect((error as Error).message).not.toContain(READ);
    expect(Date.now() - started).toBeLessThan(10_000);
    // Without a token: the anonymous token's text. An unknown token: "ACL not found".
    const anonymous = track(connect(url, { consul: { tls } }));
    await expect(anonymous.register({ ...instance, id: 'orders-y' })).rejects.toMatchObject({
      code: ErrorCode.AccessDenied,
      message: expect.stringMatching(/anonymous token lacks permission 'service:write'/),
    });
    const unknown = track(connect(url, { consul: { tls, token: 'secret-nobody-has' } }));
    const e2 = await unknown.register({ ...instance, id: 'orders-z' }).catch((e: unknown) => e);
    expect(e2).toMatchObject({ code: ErrorCode.AccessDenied, message: expect.stringMatching(/ACL not found/) });
    expect((e2 as Error).message).not.toContain('secret-nobody-has');
  });

  it('reads are filtered by the token: a read token for orders* sees orders, not billing', async () => {
    clearEnv();
    const admin = track(connect(url, { consul: { tls, token: MANAGEMENT } }));
    const billing = await admin.register({ service: 'billing', id: 'billing-1', address: '127.0.0.1', port: 1, ttl: '30s' });
    const orders = await admin.register({ ...instance, id: 'orders-m' });
    const reader = track(connect(url, { consul: { tls, token: READ } }));
    expect(await reader.services()).toEqual(['orders']);
    expect((await reader.list('billing')).instances).toEqual([]);
    // A watch (blocking queries or the streaming watch, whichever the server offers) carries the token and TLS too.
    const watch = reader.watch('orders')[Symbol.asyncIterator]();
    expect((await watch.next()).value?.instances.map((i: { id: string }) => i.id)).toEqual(['orders-m']);
    await watch.return?.();
    const hidden = reader.watch('billing')[Symbol.asyncIterator]();
    expect((await hidden.next()).value?.instances).toEqual([]);
    await hidden.return?.();
    expect([...(await admin.services())].sort()).toEqual(['billing', 'orders']);
    await Promise.all([billing.deregister(), orders.deregister()]);
  });

  it('updateTtlCheck takes the token and TLS options', async () => {
    clearEnv();
    const admin = track(connect(url, { consul: { tls, token: WRITE } }));
    const lease = await admin.register({ ...instance, id: 'orders-ttl' });
    const checkId = 'roster:orders-ttl';
    expect(await updateTtlCheck(checkId, 'warning', { url, tls, token: WRITE, note: 'slow' })).toBe('updated');
    await expect(updateTtlCheck(checkId, 'passing', { url, tls, token: READ })).rejects.toMatchObject({ code: ErrorCode.AccessDenied });
    await lease.deregister();
  });

  it('without a client certificate the TLS handshake is refused: RegistryUnavailableError naming the address, never the token', async () => {
    clearEnv();
    const r = track(connect(url, { consul: { tls: { caFile: certs.caFile }, token: WRITE, timeoutMs: 5000 } }));
    const error = await r.list('orders').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ErrorCode.RegistryUnavailable });
    expect((error as Error).message).toContain('127.0.0.1');
    expect((error as Error).message).toMatch(/verify-incoming closes connections without a client certificate: tls\.certFile/);
    expect((error as Error).message).not.toContain(WRITE);
    // Without the CA, the server's certificate is not trusted.
    const untrusting = track(
      connect(url, { consul: { tls: { certFile: certs.clientCertFile, keyFile: certs.clientKeyFile }, timeoutMs: 5000 } }),
    );
    await expect(untrusting.list('orders')).rejects.toMatchObject({
      code: ErrorCode.RegistryUnavailable,
      message: expect.stringMatching(/self[- ]signed certificate.*give the CA that signed it: tls\.caFile, --ca-file or CONSUL_CACERT/),
    });
    // Plain http to a TLS port: the hint says to use https.
    const plain = track(connect(url.replace('consul+https', 'consul'), { consul: { timeoutMs: 5000 } }));
    await expect(plain.list('orders')).rejects.toMatchObject({
      code: ErrorCode.RegistryUnavailable,
      message: expect.stringMatching(/use an https:\/\/ or consul\+https:\/\/ URL/),
    });
  });

  it('announce() and createFetch work through a registry built with a token and TLS; announce fails at once on a refused token', async () => {
    clearEnv();
    const app: Server = createHttpServer((_req, res) => res.end('orders here'));
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    const port = (app.address() as AddressInfo).port;
    try {
      const registry = track(connect(url, { consul: { tls, token: WRITE } }));
      const announcement = await announce({ registry, service: 'orders', address: '127.0.0.1', port, signals: false, lagWatchdog: false });
      const reader = track(connect(url, { consul: { tls, token: READ } }));
      const fetch = createFetch({ registry: reader });
      try {
        const res = await fetch('http://orders/');
        expect(await res.text()).toBe('orders here');
      } finally {
        await fetch.close();
      }
      await announcement.drain();
      const denied = track(connect(url, { consul: { tls, token: READ } }));
      const started = Date.now();
      await expect(
        announce({
          registry: denied,
          service: 'orders',
          address: '127.0.0.1',
          port,
          signals: false,
          lagWatchdog: false,
          startupTimeout: '30s',
        }),
      ).rejects.toMatchObject({ code: ErrorCode.AccessDenied });
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      await new Promise<void>((resolve) => app.close(() => resolve()));
    }
  });
});
