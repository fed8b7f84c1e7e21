/**
 * announce() with an HTTP check on registries that run no checks (D140): on real etcd the agent
 * probes its own endpoint with the check's interval and timeout and reports the result through
 * the lease, so an instance whose /health fails turns critical there too; on a real roster serve
 * the server runs the check as before and the agent runs none. Bounds are generous (seconds):
 * the machine may be loaded.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type RosterServer } from '@rosterjs/server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type EtcdCluster, startEtcdCluster } from '../../../../test-support/etcd.js';
import { requireBinary } from '../../../../test-support/system.js';
import { InvalidArgumentError } from '../errors.js';
import type { HealthStatus } from '../model.js';
import { consulRegistry } from '../registry/consul/consul-registry.js';
import { etcdRegistry } from '../registry/etcd/etcd-registry.js';
import { memoryRegistry } from '../registry/memory.js';
import type { Registry } from '../registry/registry.js';
import { uniqueService } from '../testing/contract-clauses.js';
import { announce } from './announce.js';
import type { Announcement } from './announcement.js';
import { attachHealth } from './attach-health.js';
import { normalizeAnnounceOptions } from './normalize-announce-options.js';

const etcdAvailable = requireBinary('etcd', 'etcd-server', 'self-run checks on etcd');
let cluster: EtcdCluster | undefined;
let roster: RosterServer | undefined;
let rosterUrl = '';
let dataDir = '';
const cleanup: (() => unknown)[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'roster-self-check-'));
  roster = createServer({ port: 0, dataDir, logLevel: 'silent', sync: 'normal' });
  rosterUrl = (await roster.listen()).url;
  if (etcdAvailable) cluster = await startEtcdCluster(1);
}, 60_000);

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

afterAll(async () => {
  await roster?.close();
  await cluster?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls the registry until the instance has `health` (at most `limitMs`). */
async function healthBecomes(registry: Registry, service: string, health: HealthStatus, limitMs = 15_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const snap = await registry.list(service);
    last = snap.instances.map((i) => [i.id, i.health]);
    if (snap.instances.length === 1 && snap.instances[0]?.health === health) return;
    await sleep(100);
  }
  throw new Error(`${service}: not ${health} within ${limitMs} ms (last ${JSON.stringify(last)})`);
}

/** A service whose own /health answers 200 or 500 as the test says (a health that checks a database, say). */
async function appServer(): Promise<{ server: http.Server; port: number; setHealthy(ok: boolean): void; probes(): number }> {
  let healthy = true;
  let probes = 0;
  const server = http.createServer((req, res) => {
    if (req.url === '/health') {
      probes++;
      res.writeHead(healthy ? 200 : 500).end(healthy ? 'ok' : 'database down');
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { server, port: (server.address() as AddressInfo).port, setHealthy: (ok) => (healthy = ok), probes: () => probes };
}

async function announced(registry: Registry, service: string, server: http.Server): Promise<Announcement> {
  const a = await announce({
    registry,
    service,
    server,
    check: { http: '/health', interval: '1s', timeout: '1s' },
    ttl: '10s',
    signals: false,
    lagWatchdog: false,
    drain: { propagationMs: 0 },
  });
  cleanup.push(() => a.drain());
  return a;
}

describe.runIf(etcdAvailable)('announce() with an HTTP check on etcd (the agent runs it)', () => {
  const etcd = () => {
    const r = etcdRegistry({ url: cluster?.url ?? 'etcd://127.0.0.1:1', requestTimeoutMs: 3000 });
    cleanup.push(() => r.close());
    return r;
  };

  it('a bare register() with an HTTP check is refused naming checks and etcd; nothing is stored', async () => {
    const r = etcd();
    const service = uniqueService('bare');
    await expect(
      r.register({ service, address: '127.0.0.1', port: 1, checks: [{ kind: 'http', url: 'http://127.0.0.1:1/health', interval: '10s' }] }),
    ).rejects.toSatisfy(
      (e) => e instanceof InvalidArgumentError && e.field === 'checks[0]' && /etcd registry runs no checks/.test(e.message),
    );
    expect((await r.list(service)).instances).toEqual([]);
  });

  it('an instance whose /health fails turns critical on etcd, and passing again when it recovers', async () => {
    const r = etcd();
    const service = uniqueService('etcd-check');
    const app = await appServer();
    const a = await announced(r, service, app.server);
    const reported: string[] = [];
    a.onEvent((e) => {
      if (e.type === 'health') reported.push(`${e.status}: ${e.output}`);
    });
    expect(r.capabilities.checkKinds).toEqual([]);
    await healthBecomes(r, service, 'passing');
    app.setHealthy(false);
    await healthBecomes(r, service, 'critical');
    // The probe's output (the check's own words) went to the registry with the status.
    expect(reported.find((h) => h.startsWith('critical:'))).toMatch(/500/);
    // What the instance says about itself on /health is its own view, not the probe's result.
    expect(a.health.status).toBe('passing');
    app.setHealthy(true);
    await healthBecomes(r, service, 'passing');
    expect(app.probes()).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('examples/server.ts shape: /health served by attachHealth stays passing (no feedback loop), draining turns it critical', async () => {
    const r = etcd();
    const service = uniqueService('etcd-attach');
    let announcement: Announcement | undefined = undefined;
    const server = http.createServer((_req, res) => res.writeHead(404).end());
    attachHealth(server, () => announcement);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    announcement = await announced(r, service, server);
    await healthBecomes(r, service, 'passing');
    // Several intervals later it is still passing: the probe read the agent's own health.
    await sleep(2500);
    await healthBecomes(r, service, 'passing', 1000);
    const result = await announcement.drain();
    expect(result.deregistered).toBe(true);
    expect((await r.list(service)).instances).toEqual([]);
  }, 60_000);

  it('refuses ttl: false and check.deregisterCriticalAfter on etcd, naming the option', () => {
    const r = etcd();
    const base = { registry: r, service: 'orders', port: 8080, address: '127.0.0.1', check: { http: '/health' } };
    expect(() => normalizeAnnounceOptions({ ...base, ttl: false })).toThrow(/^ttl: .*etcd registry runs none/);
    expect(() => normalizeAnnounceOptions({ ...base, check: { http: '/health', deregisterCriticalAfter: '1m' } })).toThrow(
      /^check\.deregisterCriticalAfter: the etcd registry runs no checks/,
    );
  });
});

describe('announce() with an HTTP check on roster serve (the server runs it)', () => {
  it('registers the check with the server and runs none itself; a failing /health turns critical', async () => {
    const r = consulRegistry({ url: rosterUrl });
    cleanup.push(() => r.close());
    const service = uniqueService('serve-check');
    const base = { registry: r, service, port: 8080, address: '127.0.0.1', check: { http: '/health' } };
    const settings = normalizeAnnounceOptions(base);
    expect(settings.selfCheck).toBeUndefined();
    expect(settings.registration.checks).toHaveLength(1);
    const app = await appServer();
    await announced(r, service, app.server);
    await healthBecomes(r, service, 'passing');
    app.setHealthy(false);
    await healthBecomes(r, service, 'critical');
  }, 60_000);

  it('the memory registry runs TTL checks only: announce() runs the HTTP check there too', () => {
    const r = memoryRegistry();
    cleanup.push(() => r.close());
    const settings = normalizeAnnounceOptions({ registry: r, service: 'orders', port: 8080, address: '127.0.0.1', check: { http: '/h' } });
    expect(settings.selfCheck).toMatchObject({ kind: 'http', url: 'http://127.0.0.1:8080/h', intervalMs: 10_000 });
    expect(settings.registration.checks).toEqual([]);
  });
});
