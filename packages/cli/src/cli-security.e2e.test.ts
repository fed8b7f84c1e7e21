/**
 * The `roster` commands against roster serve with mutual TLS (verify-incoming, certificates made
 * by openssl) and default-deny ACLs, over real sockets on 127.0.0.1: `--token-file`,
 * ROSTER_TOKEN / CONSUL_HTTP_TOKEN, `--ca-file` / `--cert-file` / `--key-file` and Consul's
 * CONSUL_CACERT / CONSUL_CLIENT_CERT / CONSUL_CLIENT_KEY; a token on the command line is refused
 * without being echoed; a refused token is exit 1 with the hint where a token goes; bad files
 * name the flag and the path. The TLS flags and etcdctl's variables also against real etcd with
 * client-certificate auth.
 */
import { writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EtcdCluster, makeTestCertificates, startEtcdCluster, type TestCertificates } from '../../../test-support/etcd.js';
import { CLEAN_CONSUL_ENV, ordersAcl, type SecureRegistry, startSecureRegistry } from '../../../test-support/secure-registry.js';
import { requireBinary } from '../../../test-support/system.js';
import { ExitCode } from './exit-code.js';
import { runCli } from './test-support.js';

const available = requireBinary('openssl', 'openssl', 'CLI TLS + ACL suite');
const WRITE = 'cli-secret-write-4b1e';
const READ = 'cli-secret-read-77d0';
describe.runIf(available)('roster commands with TLS and ACL tokens', () => {
  let certs: TestCertificates;
  let dir = '';
  let registry: SecureRegistry | undefined;
  let url = '';
  let tlsFlags: string[] = [];
  let writeFile = '';
  const roster = (args: readonly string[], env: Record<string, string | undefined> = {}) =>
    runCli([...args, '--registry', url], { ...CLEAN_CONSUL_ENV, ...env });

  beforeAll(async () => {
    certs = await makeTestCertificates();
    registry = await startSecureRegistry('cli-security', {
      acl: ordersAcl({ write: WRITE, read: READ }),
      tls: { certFile: certs.certFile, keyFile: certs.keyFile, caFile: certs.caFile, verifyIncoming: true },
    });
    ({ url, dir } = registry);
    writeFile = join(dir, 'write.token');
    writeFileSync(writeFile, `${WRITE}\n`, { mode: 0o600 });
    tlsFlags = ['--ca-file', certs.caFile, '--cert-file', certs.clientCertFile, '--key-file', certs.clientKeyFile];
  }, 60_000);
  afterAll(async () => {
    await registry?.close();
    if (certs) await rm(certs.dir, { recursive: true, force: true });
  });

  it('register, instances, pass, deregister with --token-file and the TLS flags', async () => {
    const reg = await roster([
      'register',
      'orders',
      '--port',
      '8080',
      '--address',
      '127.0.0.1',
      '--id',
      'o-1',
      '--check-ttl',
      '1m',
      '--check-id',
      'o-1-ttl',
      '--token-file',
      writeFile,
      ...tlsFlags,
    ]);
    expect(reg, reg.stderr).toMatchObject({
      code: ExitCode.Ok,
      stdout: 'registered orders/o-1 at 127.0.0.1:8080 (checks: o-1-ttl (ttl 1m0s))\n',
    });
    const list = await roster(['instances', 'orders', '--json', ...tlsFlags], { ROSTER_TOKEN: READ });
    expect(list.code, list.stderr).toBe(ExitCode.Ok);
    expect((JSON.parse(list.stdout) as { instances: { id: string }[] }).instances.map((i) => i.id)).toEqual(['o-1']);
    const pass = await roster(['pass', 'o-1-ttl', '--token-file', writeFile, ...tlsFlags]);
    expect(pass, pass.stderr).toMatchObject({ code: ExitCode.Ok });
    const health = await roster(['health', 'orders', ...tlsFlags], { ROSTER_TOKEN: READ });
    expect(health.code, health.stderr).toBe(ExitCode.Ok);
    const dereg = await roster(['deregister', 'orders', 'o-1', ...tlsFlags], { CONSUL_HTTP_TOKEN: WRITE });
    expect(dereg, dereg.stderr).toMatchObject({ code: ExitCode.Ok });
  });

  it("reads Consul's variables for TLS and the token file", async () => {
    const env = {
      CONSUL_CACERT: certs.caFile,
      CONSUL_CLIENT_CERT: certs.clientCertFile,
      CONSUL_CLIENT_KEY: certs.clientKeyFile,
      CONSUL_HTTP_TOKEN_FILE: writeFile,
    };
    const reg = await roster(['register', 'orders', '--port', '8081', '--address', '127.0.0.1', '--id', 'o-env'], env);
    expect(reg, reg.stderr).toMatchObject({ code: ExitCode.Ok, stdout: 'registered orders/o-env at 127.0.0.1:8081\n' });
    const dereg = await roster(['deregister', 'orders', 'o-env'], env);
    expect(dereg, dereg.stderr).toMatchObject({ code: ExitCode.Ok });
  });

  it("a token the registry refuses: exit 1, Consul's text, the hint where a token goes, no secret echoed", async () => {
    const r = await roster(['register', 'orders', '--port', '1', '--address', '127.0.0.1', ...tlsFlags], { ROSTER_TOKEN: READ });
    expect(r.code).toBe(ExitCode.Failure);
    expect(r.stderr).toMatch(/lacks permission 'service:write' on "orders".*--token-file <file>, ROSTER_TOKEN or CONSUL_HTTP_TOKEN/);
    expect(r.stderr).not.toContain(READ);
  });

  it('refuses a token on the command line (--token, ?token= in --registry) without echoing it', async () => {
    const flag = await roster(['services', '--token', WRITE, ...tlsFlags]);
    expect(flag.code).toBe(ExitCode.Usage);
    expect(flag.stderr).toMatch(/--token puts a secret on the command line.*--token-file <file>.*ROSTER_TOKEN/);
    expect(flag.stderr + flag.stdout).not.toContain(WRITE);
    const inUrl = await runCli(['services', '--registry', `${url}?token=${WRITE}`, ...tlsFlags], CLEAN_CONSUL_ENV);
    expect(inUrl.code).toBe(ExitCode.Usage);
    expect(inUrl.stderr).toMatch(/--registry carries a secret .*ROSTER_REGISTRY/);
    expect(inUrl.stderr + inUrl.stdout).not.toContain(WRITE);
    // The same URL from the environment is taken.
    const fromEnv = await runCli(['services', ...tlsFlags], { ...CLEAN_CONSUL_ENV, ROSTER_REGISTRY: `${url}?token=${WRITE}` });
    expect(fromEnv.code, fromEnv.stderr).toBe(ExitCode.Ok);
  });

  it('without the client certificate the registry is unreachable (exit 4) and the message says so', async () => {
    const r = await roster(['services', '--ca-file', certs.caFile], { ROSTER_TOKEN: WRITE });
    expect(r.code).toBe(ExitCode.Unavailable);
    expect(r.stderr).toMatch(/cannot reach the registry at https:\/\/127\.0\.0\.1:\d+/);
    expect(r.stderr).not.toContain(WRITE);
  });

  it('bad input: an unreadable file names the flag and the path; TLS flags need an https URL; --token-file is not for etcd', async () => {
    const missing = join(dir, 'missing.pem');
    const ca = await roster(['services', '--ca-file', missing]);
    expect(ca).toMatchObject({ code: ExitCode.Usage });
    expect(ca.stderr).toContain(`--ca-file: cannot read ${JSON.stringify(missing)} (ENOENT)`);
    const token = await roster(['services', '--token-file', missing, ...tlsFlags]);
    expect(token.code).toBe(ExitCode.Usage);
    expect(token.stderr).toContain(`--token-file: cannot read the token file ${JSON.stringify(missing)} (ENOENT)`);
    const http = await runCli(['services', '--registry', 'consul://127.0.0.1:1', '--ca-file', certs.caFile], CLEAN_CONSUL_ENV);
    expect(http.code).toBe(ExitCode.Usage);
    expect(http.stderr).toMatch(/--ca-file: need an https registry URL/);
    const etcdPassword = await runCli(['services', '--registry', `etcd://app:${WRITE}@127.0.0.1:1`], CLEAN_CONSUL_ENV);
    expect(etcdPassword.code).toBe(ExitCode.Usage);
    expect(etcdPassword.stderr).toMatch(/--registry carries a secret/);
    expect(etcdPassword.stderr).not.toContain(WRITE);
    const etcd = await runCli(['services', '--registry', 'etcd://127.0.0.1:1', '--token-file', writeFile], CLEAN_CONSUL_ENV);
    expect(etcd.code).toBe(ExitCode.Usage);
    expect(etcd.stderr).toMatch(/--token-file: etcd takes a user name and password/);
    const envCa = await roster(['services'], { CONSUL_CACERT: missing });
    expect(envCa.code).toBe(ExitCode.Usage);
    expect(envCa.stderr).toContain(`CONSUL_CACERT: cannot read ${JSON.stringify(missing)} (ENOENT)`);
  });
});

describe.runIf(available && requireBinary('etcd', 'etcd-server', 'CLI etcd TLS suite'))('roster commands with etcd over mutual TLS', () => {
  let certs: TestCertificates;
  let cluster: EtcdCluster | undefined;
  let url = '';

  beforeAll(async () => {
    certs = await makeTestCertificates();
    cluster = await startEtcdCluster(1, { tls: { certFile: certs.certFile, keyFile: certs.keyFile, clientCaFile: certs.caFile } });
    url = `etcd+https://${cluster.endpoints[0]}`;
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
    if (certs) await rm(certs.dir, { recursive: true, force: true });
  });

  it('register, instances and deregister with --ca-file / --cert-file / --key-file, and with ETCDCTL_CACERT / _CERT / _KEY', async () => {
    const flags = ['--registry', url, '--ca-file', certs.caFile, '--cert-file', certs.clientCertFile, '--key-file', certs.clientKeyFile];
    const reg = await runCli(
      ['register', 'inventory', '--port', '9000', '--address', '127.0.0.1', '--id', 'inv-1', ...flags],
      CLEAN_CONSUL_ENV,
    );
    expect(reg, reg.stderr).toMatchObject({ code: ExitCode.Ok, stdout: 'registered inventory/inv-1 at 127.0.0.1:9000\n' });
    const env = {
      ...CLEAN_CONSUL_ENV,
      ROSTER_REGISTRY: url,
      ETCDCTL_CACERT: certs.caFile,
      ETCDCTL_CERT: certs.clientCertFile,
      ETCDCTL_KEY: certs.clientKeyFile,
    };
    const list = await runCli(['instances', 'inventory', '--json'], env);
    expect(list.code, list.stderr).toBe(ExitCode.Ok);
    expect((JSON.parse(list.stdout) as { instances: { id: string }[] }).instances.map((i) => i.id)).toEqual(['inv-1']);
    const dereg = await runCli(['deregister', 'inventory', 'inv-1', ...flags], CLEAN_CONSUL_ENV);
    expect(dereg, dereg.stderr).toMatchObject({ code: ExitCode.Ok });
  });

  it('without the client certificate etcd refuses: exit 4', async () => {
    const r = await runCli(['instances', 'inventory', '--registry', url, '--ca-file', certs.caFile], CLEAN_CONSUL_ENV);
    expect(r.code, r.stderr).toBe(ExitCode.Unavailable);
  });
});
