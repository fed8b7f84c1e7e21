/**
 * `--tls-server-name` and CONSUL_TLS_SERVER_NAME through the real CLI, against roster serve over
 * real sockets on 127.0.0.1 whose openssl-made certificate names only `registry.internal`:
 * reached as https://127.0.0.1 it is unreachable (exit 4) with the hint naming the flag and the
 * variable; with the name from the flag or the variable it answers; a wrong name stays refused;
 * the flag needs an https Consul-API URL (not http, not etcd).
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateWorkshop, type CertificateWorkshop } from '../../../test-support/certificates.js';
import { CLEAN_CONSUL_ENV, type SecureRegistry, startSecureRegistry } from '../../../test-support/secure-registry.js';
import { requireBinary } from '../../../test-support/system.js';
import { ExitCode } from './exit-code.js';
import { runCli } from './test-support.js';

const available = requireBinary('openssl', 'openssl', 'CLI server-name suite');
describe.runIf(available)('roster commands with a registry certificate that names another host', () => {
  let shop: CertificateWorkshop;
  let registry: SecureRegistry | undefined;
  let url = '';
  let caFile = '';
  const roster = (args: readonly string[], env: Record<string, string | undefined> = {}) =>
    runCli([...args, '--registry', url], { ...CLEAN_CONSUL_ENV, ...env });

  beforeAll(async () => {
    shop = certificateWorkshop();
    caFile = shop.issue('ca', { isCa: true }).certFile;
    const pair = shop.issue('registry', { ca: 'ca', san: 'DNS:registry.internal' });
    registry = await startSecureRegistry('cli-server-name', { tls: { certFile: pair.certFile, keyFile: pair.keyFile } });
    url = registry.url;
  }, 60_000);
  afterAll(async () => {
    await registry?.close();
    if (shop) await rm(shop.dir, { recursive: true, force: true });
  });

  it('without the name: exit 4, and the hint names --tls-server-name and CONSUL_TLS_SERVER_NAME', async () => {
    const r = await roster(['services', '--ca-file', caFile]);
    expect(r.code).toBe(ExitCode.Unavailable);
    expect(r.stderr).toContain('--tls-server-name or CONSUL_TLS_SERVER_NAME');
  });

  it('with --tls-server-name, or CONSUL_TLS_SERVER_NAME with CONSUL_CACERT, it answers; a wrong name stays refused', async () => {
    expect(await roster(['services', '--ca-file', caFile, '--tls-server-name', 'registry.internal'])).toMatchObject({ code: 0 });
    expect(await roster(['services'], { CONSUL_CACERT: caFile, CONSUL_TLS_SERVER_NAME: 'registry.internal' })).toMatchObject({
      code: 0,
    });
    const wrong = await roster(['services', '--ca-file', caFile, '--tls-server-name', 'other.internal']);
    expect(wrong.code).toBe(ExitCode.Unavailable);
  });

  it('bad input: a bad name names the flag; the flag needs an https Consul-API URL', async () => {
    const bad = await roster(['services', '--ca-file', caFile, '--tls-server-name', 'a/b']);
    expect(bad.code).toBe(ExitCode.Usage);
    expect(bad.stderr).toMatch(/--tls-server-name: must be a host name or IP address/);
    const badEnv = await roster(['services', '--ca-file', caFile], { CONSUL_TLS_SERVER_NAME: 'a b' });
    expect(badEnv.code).toBe(ExitCode.Usage);
    expect(badEnv.stderr).toMatch(/CONSUL_TLS_SERVER_NAME: must be a host name or IP address/);
    const http = await runCli(
      ['services', '--registry', 'consul://127.0.0.1:1', '--tls-server-name', 'registry.internal'],
      CLEAN_CONSUL_ENV,
    );
    expect(http.code).toBe(ExitCode.Usage);
    expect(http.stderr).toMatch(/--tls-server-name: need an https registry URL/);
    const etcd = await runCli(
      ['services', '--registry', 'etcd+https://127.0.0.1:1', '--tls-server-name', 'registry.internal'],
      CLEAN_CONSUL_ENV,
    );
    expect(etcd.code).toBe(ExitCode.Usage);
    expect(etcd.stderr).toMatch(/--tls-server-name: for Consul-API registries only/);
  });
});
