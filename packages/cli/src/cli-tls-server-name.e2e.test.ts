/**
 * `--tls-server-name` and CONSUL_TLS_SERVER_NAME through the real CLI, against roster serve over
 * real sockets on 127.0.0.1 whose openssl-made certificate names only `registry.internal`:
 * reached as https://127.0.0.1 it is unreachable (exit 4) with the hint naming the flag and the
 * variable; with the name from the flag or the variable it answers; a wrong name stays refused;
 * the flag needs an https Consul-API URL (not http, not etcd).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type RosterServer } from '@rosterjs/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateWorkshop, type CertificateWorkshop } from '../../../test-support/certificates.js';
import { requireBinary } from '../../../test-support/system.js';
import { ExitCode } from './exit-code.js';
import { runCli } from './test-support.js';

const available = requireBinary('openssl', 'openssl', 'CLI server-name suite');
/** Variables the CLI (through the library) reads; cleared for every run unless a case sets them. */
const CLEAN = {
  ROSTER_TOKEN: undefined,
  CONSUL_HTTP_TOKEN: undefined,
  CONSUL_HTTP_TOKEN_FILE: undefined,
  CONSUL_CACERT: undefined,
  CONSUL_CLIENT_CERT: undefined,
  CONSUL_CLIENT_KEY: undefined,
  CONSUL_TLS_SERVER_NAME: undefined,
};

describe.runIf(available)('roster commands with a registry certificate that names another host', () => {
  let shop: CertificateWorkshop;
  let dir = '';
  let server: RosterServer;
  let url = '';
  let caFile = '';
  const roster = (args: readonly string[], env: Record<string, string | undefined> = {}) =>
    runCli([...args, '--registry', url], { ...CLEAN, ...env });

  beforeAll(async () => {
    shop = certificateWorkshop();
    caFile = shop.issue('ca', { isCa: true }).certFile;
    const pair = shop.issue('registry', { ca: 'ca', san: 'DNS:registry.internal' });
    dir = await mkdtemp(join(tmpdir(), 'roster-cli-server-name-'));
    server = createServer({
      port: 0,
      dataDir: join(dir, 'data'),
      logLevel: 'silent',
      sync: 'normal',
      tls: { certFile: pair.certFile, keyFile: pair.keyFile },
    });
    url = `consul+https://127.0.0.1:${(await server.listen()).port}`;
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    if (shop) await rm(shop.dir, { recursive: true, force: true });
    if (dir) await rm(dir, { recursive: true, force: true });
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
    const http = await runCli(['services', '--registry', 'consul://127.0.0.1:1', '--tls-server-name', 'registry.internal'], CLEAN);
    expect(http.code).toBe(ExitCode.Usage);
    expect(http.stderr).toMatch(/--tls-server-name: need an https registry URL/);
    const etcd = await runCli(['services', '--registry', 'etcd+https://127.0.0.1:1', '--tls-server-name', 'registry.internal'], CLEAN);
    expect(etcd.code).toBe(ExitCode.Usage);
    expect(etcd.stderr).toMatch(/--tls-server-name: for Consul-API registries only/);
  });
});
