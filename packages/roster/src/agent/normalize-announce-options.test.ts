import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NetworkInterfaceInfo } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { consulRegistry } from '../registry/consul/consul-registry.js';
import { memoryRegistry } from '../registry/memory.js';
import { FakeClock } from '../testing/fake-clock.js';
import { ANNOUNCE_DEFAULTS } from './announce-options.js';
import { defaultAddress } from './default-address.js';
import { normalizeAnnounceOptions } from './normalize-announce-options.js';

const registry = memoryRegistry();
const base = { registry, service: 'orders', address: '10.0.0.5', port: 8080 };

describe('normalizeAnnounceOptions', () => {
  it('fills the defaults', () => {
    const s = normalizeAnnounceOptions(base);
    expect(s.registration).toEqual({ service: 'orders', address: '10.0.0.5', port: 8080, ttl: '10s' });
    expect(s).toMatchObject({
      server: undefined,
      propagationMs: 2000,
      drainTimeoutMs: 10_000,
      signals: ['SIGTERM', 'SIGINT'],
      exitOnSignal: true,
      exitGraceMs: 2000,
      lag: { thresholdMs: 1000, intervalMs: 1000, recoverAfter: 3 },
    });
    expect(ANNOUNCE_DEFAULTS.ttl).toBe('10s');
  });

  it('turns a check path into a URL on the instance and keeps a full URL', () => {
    // A registry that runs HTTP checks gets the check in the registration (memory runs none: D140).
    const base = { registry: consulRegistry({ url: 'http://127.0.0.1:1' }), service: 'orders', address: '10.0.0.5', port: 8080 };
    const path = normalizeAnnounceOptions({ ...base, check: { http: '/health' } });
    expect(path.registration.checks).toEqual([{ kind: 'http', url: 'http://10.0.0.5:8080/health', interval: '10s' }]);
    const v6 = normalizeAnnounceOptions({ ...base, address: 'fd00::5', check: { http: '/health?deep=1', interval: '5s', timeout: 2000 } });
    expect(v6.registration.checks).toEqual([{ kind: 'http', url: 'http://[fd00::5]:8080/health?deep=1', interval: '5s', timeout: 2000 }]);
    const full = normalizeAnnounceOptions({ ...base, ttl: false, check: { http: 'https://lb.internal/orders/health' } });
    expect(full.registration).not.toHaveProperty('ttl');
    expect(full.registration.checks?.[0]).toMatchObject({ url: 'https://lb.internal/orders/health' });
  });

  it('passes the instance fields through and turns off what is false', () => {
    const s = normalizeAnnounceOptions({
      ...base,
      id: 'orders-1',
      tags: ['v2'],
      meta: { version: '2.1.0' },
      weight: 5,
      zone: 'eu-1a',
      ttl: 30_000,
      signals: false,
      lagWatchdog: false,
      exitOnSignal: false,
    });
    expect(s.registration).toEqual({
      service: 'orders',
      id: 'orders-1',
      address: '10.0.0.5',
      port: 8080,
      tags: ['v2'],
      meta: { version: '2.1.0' },
      weight: 5,
      zone: 'eu-1a',
      ttl: 30_000,
    });
    expect(s.signals).toEqual([]);
    expect(s.lag).toBeUndefined();
    expect(s.exitOnSignal).toBe(false);
  });

  it('lowers the default lag threshold to a quarter of a short TTL', () => {
    expect(normalizeAnnounceOptions({ ...base, ttl: '2s' }).lag?.thresholdMs).toBe(500);
    expect(normalizeAnnounceOptions({ ...base, ttl: '2s', lagWatchdog: { thresholdMs: 800 } }).lag?.thresholdMs).toBe(800);
  });

  it.each([
    [{ registry: {} }, 'registry'],
    [{ service: '' }, 'service'],
    [{ service: 'no spaces' }, 'service'],
    [{ port: 70_000 }, 'port'],
    [{ port: undefined }, 'port'],
    [{ address: '0.0.0.0' }, 'address'],
    [{ id: ' x' }, 'id'],
    [{ tags: 'v2' }, 'tags'],
    [{ meta: { 'consul-x': 'y' } }, 'meta.consul-x'],
    [{ weight: 0 }, 'weight'],
    [{ zone: 'eu 1' }, 'zone'],
    [{ ttl: '10 seconds' }, 'ttl'],
    [{ ttl: 500 }, 'ttl'],
    [{ ttl: false }, 'ttl'],
    [{ check: '/health' }, 'check'],
    [{ check: { http: '' } }, 'check.http'],
    [{ check: { http: 'ftp://x/health' } }, 'check.http'],
    [{ check: { http: '/health', interval: '1ms' } }, 'check.interval'],
    [{ check: { http: '/health', timeout: 'soon' } }, 'check.timeout'],
    [{ check: { http: '/health', intervall: '10s' } }, 'check.intervall'],
    [{ server: {} }, 'server'],
    [{ drain: { propagationMs: -1 } }, 'drain.propagationMs'],
    [{ drain: { timeoutMs: Number.NaN } }, 'drain.timeoutMs'],
    [{ drain: { timeout: 5 } }, 'drain.timeout'],
    [{ signals: 'SIGTERM' }, 'signals'],
    [{ signals: ['SIGTERM', 'SIGNOPE'] }, 'signals[1]'],
    [{ signals: ['SIGKILL'] }, 'signals[0]'],
    [{ exitOnSignal: 'yes' }, 'exitOnSignal'],
    [{ exitGraceMs: -5 }, 'exitGraceMs'],
    [{ lagWatchdog: true }, 'lagWatchdog'],
    [{ lagWatchdog: { thresholdMs: 0 } }, 'lagWatchdog.thresholdMs'],
    [{ lagWatchdog: { intervalMs: 1 } }, 'lagWatchdog.intervalMs'],
    [{ lagWatchdog: { recoverAfter: 0.5 } }, 'lagWatchdog.recoverAfter'],
    [{ lagWatchdog: { source: () => 0 } }, 'lagWatchdog.source'],
    [{ clock: Date }, 'clock.setTimeout'],
    [{ clock: { now: (): number => 0, setTimeout: (): number => 0 } }, 'clock.clearTimeout'],
    [{ propagationMs: 100 }, 'propagationMs'],
  ])('%j is rejected naming %s', (bad, field) => {
    let error: unknown;
    try {
      normalizeAnnounceOptions({ ...base, ...bad });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).field).toBe(field);
    expect((error as Error).message.startsWith(`${field}: `)).toBe(true);
  });

  it('rejects what is not an options object', () => {
    expect(() => normalizeAnnounceOptions(undefined)).toThrow(/options: must be an object/);
  });

  describe('with a listening server', () => {
    const server = http.createServer();
    beforeAll(() => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)));
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('takes port and address from it', () => {
      const { port } = server.address() as AddressInfo;
      const s = normalizeAnnounceOptions({ registry, service: 'orders', server, clock: new FakeClock() });
      expect(s.registration).toMatchObject({ address: '127.0.0.1', port });
      expect(s.server).toBe(server);
    });

    it('an explicit port and address win (a container port mapping, a proxy)', () => {
      const s = normalizeAnnounceOptions({ registry, service: 'orders', server, port: 80, address: 'orders.internal' });
      expect(s.registration).toMatchObject({ address: 'orders.internal', port: 80 });
    });

    it('a server that is not listening gives no port', () => {
      expect(() => normalizeAnnounceOptions({ registry, service: 'orders', server: http.createServer() })).toThrow(/^port: is required/);
    });
  });
});

describe('defaultAddress', () => {
  const nic = (address: string, family: 'IPv4' | 'IPv6', internal = false): NetworkInterfaceInfo =>
    family === 'IPv4'
      ? { address, family, internal, netmask: '', mac: '', cidr: null }
      : { address, family, internal, netmask: '', mac: '', cidr: null, scopeid: 0 };
  const interfaces = {
    lo: [nic('127.0.0.1', 'IPv4', true), nic('::1', 'IPv6', true)],
    eth0: [nic('fe80::1', 'IPv6'), nic('10.1.2.3', 'IPv4')],
  };

  it.each([
    ['a specific listening address', { address: '192.168.1.9', family: 'IPv4', port: 80 }, interfaces, '192.168.1.9'],
    ['an IPv4-mapped listening address', { address: '::ffff:127.0.0.1', family: 'IPv6', port: 80 }, interfaces, '127.0.0.1'],
    ['a wildcard: the first external IPv4', { address: '::', family: 'IPv6', port: 80 }, interfaces, '10.1.2.3'],
    ['no server: the first external IPv4', undefined, interfaces, '10.1.2.3'],
    ['only IPv6: a global one, not link-local', null, { eth0: [nic('fe80::1', 'IPv6'), nic('2001:db8::7', 'IPv6')] }, '2001:db8::7'],
    ['nothing external: loopback', '/tmp/sock', { lo: interfaces.lo }, '127.0.0.1'],
  ] as const)('%s', (_name, listening, nics, expected) => {
    expect(defaultAddress(listening as AddressInfo | string | null | undefined, nics as NodeJS.Dict<NetworkInterfaceInfo[]>)).toBe(
      expected,
    );
  });
});
