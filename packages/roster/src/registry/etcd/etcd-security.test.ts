/**
 * The etcd backend against real etcd with TLS (server and client certificates made by openssl)
 * and with role-based authentication (users and roles set up with etcdctl).
 */
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type EtcdCluster, makeTestCertificates, startEtcdCluster, type TestCertificates } from '../../../../../test-support/etcd.js';
import { requireBinary } from '../../../../../test-support/system.js';
import { uniqueService } from '../../testing/contract-clauses.js';
import type { Registry } from '../registry.js';
import { etcdRegistry } from './etcd-registry.js';

const available = requireBinary('etcd', 'etcd-server', 'etcd security suite') && requireBinary('openssl', 'openssl', 'etcd TLS suite');
const clients: Registry[] = [];
const track = (r: Registry) => {
  clients.push(r);
  return r;
};

describe.runIf(available)('etcd backend security', () => {
  let certs: TestCertificates | undefined;
  let tlsCluster: EtcdCluster | undefined;
  let authCluster: EtcdCluster | undefined;

  beforeAll(async () => {
    certs = await makeTestCertificates();
    [tlsCluster, authCluster] = await Promise.all([
      startEtcdCluster(1, { tls: { certFile: certs.certFile, keyFile: certs.keyFile, clientCaFile: certs.caFile } }),
      startEtcdCluster(1),
    ]);
    const ctl = (...args: string[]) => authCluster?.etcdctl(...args);
    ctl('user', 'add', 'root:rootpw');
    ctl('user', 'grant-role', 'root', 'root');
    ctl('role', 'add', 'roster');
    ctl('role', 'grant-permission', 'roster', 'readwrite', '/roster/services/', '--prefix=true');
    ctl('user', 'add', 'app:app-pw');
    ctl('user', 'grant-role', 'app', 'roster');
    ctl('auth', 'enable');
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await Promise.allSettled([tlsCluster?.stop(), authCluster?.stop()]);
    if (certs) await rm(certs.dir, { recursive: true, force: true });
  });

  it('speaks TLS with a client certificate (etcd+https://, tls option)', async () => {
    const c = certs as TestCertificates;
    const r = track(
      etcdRegistry({
        url: `etcd+https://${tlsCluster?.endpoints[0]}`,
        tls: { ca: readFileSync(c.caFile), cert: readFileSync(c.clientCertFile), key: readFileSync(c.clientKeyFile, 'utf8') },
      }),
    );
    const service = uniqueService('tls');
    await r.register({ service, id: 't-1', address: '127.0.0.1', port: 1, ttl: '2s' });
    expect((await r.list(service)).instances.map((i) => i.id)).toEqual(['t-1']);
    const it = r.watch(service)[Symbol.asyncIterator]();
    expect((await it.next()).value?.instances.map((i: { id: string }) => i.id)).toEqual(['t-1']);
    await it.return?.();
  });

  it('takes the TLS material as file paths, or from ETCDCTL_CACERT / ETCDCTL_CERT / ETCDCTL_KEY', async () => {
    const c = certs as TestCertificates;
    const byFiles = track(
      etcdRegistry({
        url: `etcd+https://${tlsCluster?.endpoints[0]}`,
        tls: { caFile: c.caFile, certFile: c.clientCertFile, keyFile: c.clientKeyFile },
      }),
    );
    expect((await byFiles.list(uniqueService('files'))).instances).toEqual([]);
    vi.stubEnv('ETCDCTL_CACERT', c.caFile);
    vi.stubEnv('ETCDCTL_CERT', c.clientCertFile);
    vi.stubEnv('ETCDCTL_KEY', c.clientKeyFile);
    try {
      const byEnv = track(etcdRegistry({ url: `etcd+https://${tlsCluster?.endpoints[0]}` }));
      expect((await byEnv.list(uniqueService('env'))).instances).toEqual([]);
      vi.stubEnv('ETCDCTL_CACERT', `${c.caFile}.missing`);
      expect(() => etcdRegistry({ url: `etcd+https://${tlsCluster?.endpoints[0]}` })).toThrow(
        /^ETCDCTL_CACERT: cannot read .*\.missing" \(ENOENT\)/,
      );
    } finally {
      vi.unstubAllEnvs();
    }
    expect(() => etcdRegistry({ url: `etcd+https://${tlsCluster?.endpoints[0]}`, tls: { caFile: `${c.caFile}.missing` } })).toThrow(
      /^tls\.caFile: cannot read .*\.missing" \(ENOENT\)/,
    );
  });

  it('without its client certificate the client is refused', async () => {
    const c = certs as TestCertificates;
    const r = track(
      etcdRegistry({ url: `etcd+https://${tlsCluster?.endpoints[0]}`, tls: { ca: readFileSync(c.caFile) }, requestTimeoutMs: 1500 }),
    );
    await expect(r.list('api')).rejects.toMatchObject({ code: 'ROSTER_ERR_REGISTRY_UNAVAILABLE' });
  });

  it('authenticates with user and password from the URL', async () => {
    const r = track(etcdRegistry({ url: `etcd://app:app-pw@${authCluster?.endpoints[0]}` }));
    const service = uniqueService('auth');
    const lease = await r.register({ service, id: 'a-1', address: '127.0.0.1', port: 1, ttl: '2s' });
    await lease.setHealth('warning', 'degraded');
    expect((await r.list(service)).instances.map((i) => [i.id, i.health])).toEqual([['a-1', 'warning']]);
    expect(await r.services()).toContain(service);
    await lease.deregister();
    expect((await r.list(service)).instances).toEqual([]);
  });

  it('a wrong password is an AccessDeniedError, not retried', async () => {
    const r = track(etcdRegistry({ url: `etcd://${authCluster?.endpoints[0]}`, username: 'app', password: 'wrong' }));
    await expect(r.register({ service: 'api', address: '127.0.0.1', port: 1 })).rejects.toMatchObject({
      code: 'ROSTER_ERR_ACCESS_DENIED',
      retryable: false,
    });
  });

  it('a prefix the user may not write is an AccessDeniedError; a watch on it throws it', async () => {
    const r = track(etcdRegistry({ url: `etcd://app:app-pw@${authCluster?.endpoints[0]}`, prefix: '/elsewhere/' }));
    await expect(r.register({ service: 'api', address: '127.0.0.1', port: 1 })).rejects.toMatchObject({
      code: 'ROSTER_ERR_ACCESS_DENIED',
      retryable: false,
    });
    const it = r.watch('api')[Symbol.asyncIterator]();
    await expect(it.next()).rejects.toMatchObject({ code: 'ROSTER_ERR_ACCESS_DENIED' });
  });
});
