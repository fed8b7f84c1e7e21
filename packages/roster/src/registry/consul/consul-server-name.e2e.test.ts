/**
 * `tls.serverName` / CONSUL_TLS_SERVER_NAME (Consul's `tls_server_name`) against roster serve
 * over real sockets on 127.0.0.1, with an openssl-made certificate that names only
 * `registry.internal` (no IP): reached as https://127.0.0.1 the certificate does not match
 * and the error says which setting gives the name; with the name (option or variable) the
 * registry is verified against it and it is sent as SNI; a wrong name is still refused (the
 * certificate is verified, never skipped); the option wins over the variable; a bad value names
 * the variable.
 */
import { rm } from 'node:fs/promises';
import type { TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { certificateWorkshop, type CertificateWorkshop } from '../../../../../test-support/certificates.js';
import { CONSUL_CLIENT_VARIABLES, type SecureRegistry, startSecureRegistry } from '../../../../../test-support/secure-registry.js';
import { requireBinary } from '../../../../../test-support/system.js';
import { ErrorCode, isRosterError } from '../../errors.js';
import { connect } from '../connect.js';
import type { Registry } from '../registry.js';

const available = requireBinary('openssl', 'openssl', 'Consul backend server-name suite');

describe.runIf(available)('the name the registry certificate is verified against', () => {
  let shop: CertificateWorkshop;
  let registry: SecureRegistry | undefined;
  let url = '';
  let caFile = '';
  /** SNI names roster serve saw, in order (`-` for none). */
  const seen: string[] = [];
  const clients: Registry[] = [];
  const open = (options: Parameters<typeof connect>[1] = {}) => {
    const r = connect(url, options);
    clients.push(r);
    return r;
  };
  const failure = async (r: Registry) => {
    try {
      await r.list('orders');
    } catch (error) {
      return error;
    }
    throw new Error('list() succeeded');
  };

  beforeAll(async () => {
    shop = certificateWorkshop();
    caFile = shop.issue('ca', { isCa: true }).certFile;
    const pair = shop.issue('registry', { ca: 'ca', san: 'DNS:registry.internal' });
    registry = await startSecureRegistry('server-name', { tls: { certFile: pair.certFile, keyFile: pair.keyFile } });
    registry.server.httpServer.on('secureConnection', (socket: TLSSocket) => {
      seen.push(socket.servername || '-');
    });
    url = registry.url;
  }, 60_000);
  afterEach(async () => {
    vi.unstubAllEnvs();
    await Promise.allSettled(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await registry?.close();
    if (shop) await rm(shop.dir, { recursive: true, force: true });
  });
  const clear = () => {
    for (const name of CONSUL_CLIENT_VARIABLES) vi.stubEnv(name, '');
  };

  it("without a server name: the URL's host does not match, and the error names the three places to give it", async () => {
    clear();
    const error = await failure(open({ consul: { tls: { caFile } } }));
    expect(isRosterError(error) && error.code).toBe(ErrorCode.RegistryUnavailable);
    expect(String((error as Error).message)).toContain('tls.serverName, --tls-server-name or CONSUL_TLS_SERVER_NAME');
  });

  it('tls.serverName: verified against it and sent as SNI', async () => {
    clear();
    seen.length = 0;
    const r = open({ consul: { tls: { caFile, serverName: 'registry.internal' } } });
    expect((await r.list('orders')).instances).toEqual([]);
    expect(seen).toEqual(['registry.internal']);
  });

  it('CONSUL_TLS_SERVER_NAME with CONSUL_CACERT: the same through the variables', async () => {
    clear();
    vi.stubEnv('CONSUL_CACERT', caFile);
    vi.stubEnv('CONSUL_TLS_SERVER_NAME', 'registry.internal');
    seen.length = 0;
    expect((await open().list('orders')).instances).toEqual([]);
    expect(seen).toEqual(['registry.internal']);
  });

  it('a name the certificate does not hold is refused: the certificate is verified, not skipped; the option wins over the variable', async () => {
    clear();
    vi.stubEnv('CONSUL_TLS_SERVER_NAME', 'registry.internal');
    const error = await failure(open({ consul: { tls: { caFile, serverName: 'other.internal' } } }));
    expect(String((error as Error).message)).toMatch(/other\.internal/);
    expect(String((error as Error).message)).toContain('CONSUL_TLS_SERVER_NAME');
  });

  it('a bad name is refused at construction, naming the variable or the option; the variable is ignored for http URLs', () => {
    clear();
    vi.stubEnv('CONSUL_TLS_SERVER_NAME', 'bad name');
    expect(() => open()).toThrow(/^CONSUL_TLS_SERVER_NAME: must be a host name or IP address/);
    expect(() => open({ consul: { tls: { serverName: 'x\r\ny' } } })).toThrow(/tls\.serverName: must be a host name or IP address/);
    const plain = connect('consul://127.0.0.1:1');
    clients.push(plain);
    expect(plain).toBeDefined();
  });
});
