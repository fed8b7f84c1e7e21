/**
 * The defects of issue 12, one test each: every one failed before its fix (crashes, hangs,
 * silent wrongs, unclear errors). Consul-API cases run against a real roster serve on loopback.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type RosterServer } from '@rosterjs/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consistentHash } from '../balancer/consistent-hash.js';
import { createBalancer } from '../balancer/create-balancer.js';
import { ClosedError, ErrorCode, InvalidArgumentError } from '../errors.js';
import { createFetch } from '../fetch/create-fetch.js';
import { LIMITS } from '../limits.js';
import type { Instance } from '../model.js';
import { connect } from '../registry/connect.js';
import { capOutput } from '../registry/kept-lease.js';
import { consulRegistry } from '../registry/consul/consul-registry.js';
import { memoryRegistry } from '../registry/memory.js';
import type { Registry } from '../registry/registry.js';
import { Resolver } from '../resolver/resolver.js';
import { validateRegistration } from '../validate.js';

/** Runs `fn` and returns the InvalidArgumentError it threw or rejected with (fails otherwise). */
async function invalid(fn: () => unknown): Promise<InvalidArgumentError> {
  try {
    await fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return error as InvalidArgumentError;
  }
  throw new Error('expected an InvalidArgumentError, nothing was thrown');
}

const field = async (fn: () => unknown) => (await invalid(fn)).field;
const reg = { service: 'orders', address: '127.0.0.1', port: 8080 };
const open: Registry[] = [];
const track = <R extends Registry>(r: R): R => {
  open.push(r);
  return r;
};

let server: RosterServer;
let dataDir = '';
let url = '';

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'roster-findings-'));
  server = createServer({ port: 0, dataDir, logLevel: 'silent', sync: 'normal' });
  url = (await server.listen()).url;
});

afterAll(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()));
  await server?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('crashes become InvalidArgumentErrors at the call that got the bad value', () => {
  it('watch() with a non-function onError', async () => {
    const m = track(connect('memory://findings-watch'));
    expect(await field(() => m.watch('orders', { onError: 'log' as never }))).toBe('options.onError');
    const c = track(consulRegistry({ url }));
    expect(await field(() => c.watch('orders', { onError: 42 as never }))).toBe('options.onError');
  });

  it('a non-function random in connect(…, { consul }) and in the Resolver', async () => {
    expect(await field(() => connect(url, { consul: { random: 0.5 as never } }))).toBe('consul.random');
    expect(await field(() => new Resolver({ registry: memoryRegistry(), service: 'orders', random: 7 as never }))).toBe('random');
  });

  it('a partial clock in createFetch and createBalancer', async () => {
    const clock = { now: () => 0, setTimeout: () => ({}) } as never;
    expect(await field(() => createFetch({ registry: memoryRegistry(), clock }))).toBe('clock.clearTimeout');
    expect(await field(() => createBalancer({ clock }))).toBe('balancer.clock.clearTimeout');
  });

  it('a non-function listener to lease.onEvent and balancer.subscribe', async () => {
    const m = track(memoryRegistry());
    const lease = await m.register(reg);
    expect(await field(() => lease.onEvent('renewed' as never))).toBe('listener');
    const balancer = createBalancer();
    expect(await field(() => balancer.subscribe({} as never))).toBe('listener');
    expect(await field(() => balancer.onEvent(null as never))).toBe('listener');
    expect(lease.lost.aborted).toBe(false);
  });
});

describe('hangs end', () => {
  it('new Resolver({ clock: {} }) is refused instead of spinning', async () => {
    expect(await field(() => new Resolver({ registry: memoryRegistry(), service: 'orders', clock: {} as never }))).toBe('clock.now');
  });

  it('Resolver.ready() on a closed registry rejects with ClosedError', async () => {
    const m = memoryRegistry();
    await m.close();
    const resolver = new Resolver({ registry: m, service: 'orders' });
    await expect(resolver.ready()).rejects.toBeInstanceOf(ClosedError);
    await expect(resolver.ready()).rejects.toBeInstanceOf(ClosedError);
    resolver.close();
  });

  it('a closed Resolver rejects pending ready() calls', async () => {
    const c = track(consulRegistry({ url: 'http://127.0.0.1:1', timeoutMs: 50, backoff: { baseMs: 1000 } }));
    const resolver = new Resolver({ registry: c, service: 'orders' });
    const pending = resolver.ready();
    resolver.close();
    await expect(pending).rejects.toBeInstanceOf(ClosedError);
  });

  it('createFetch on a closed registry fails with ClosedError at once, not after readyTimeout', async () => {
    const m = memoryRegistry();
    await m.close();
    const fetch = createFetch({ registry: m, readyTimeout: '1h' });
    const started = Date.now();
    await expect(fetch.request('http://orders/')).rejects.toMatchObject({ code: ErrorCode.Closed });
    expect(Date.now() - started).toBeLessThan(10_000);
    await fetch.close();
  });
});

describe('silent wrongs are refused or fixed', () => {
  it('setHealth validates the status (memory stays passing)', async () => {
    const m = track(memoryRegistry());
    const lease = await m.register(reg);
    expect(await field(() => lease.setHealth('bogus' as never))).toBe('status');
    expect(await field(() => lease.setHealth('warning', 42 as never))).toBe('output');
    expect((await m.list('orders')).instances[0]?.health).toBe('passing');
  });

  it('setHealth with 20 KB of output: cut to the limit, later renewals still work (roster serve)', async () => {
    const c = track(consulRegistry({ url }));
    const lease = await c.register({ ...reg, id: 'big-output', ttl: '10s' });
    await lease.setHealth('warning', 'é'.repeat(10_000));
    await lease.setHealth('warning', 'x'.repeat(20_000));
    const checks = (await (await fetch(`${url}/v1/agent/checks`)).json()) as Record<string, { Output: string; Status: string }>;
    const self = checks['roster:big-output'];
    expect(self?.Status).toBe('warning');
    expect(Buffer.byteLength(self?.Output ?? '')).toBeLessThanOrEqual(LIMITS.checkOutputMax + 64);
    await lease.setHealth('passing');
    expect((await c.list('orders')).instances.find((i) => i.id === 'big-output')?.health).toBe('passing');
    await lease.deregister();
  });

  it('capOutput cuts at a character boundary and notes the full size, as Consul does', () => {
    expect(capOutput('ok')).toBe('ok');
    const cut = capOutput('é'.repeat(3000));
    expect(cut).toMatch(/ \.\.\. \(captured 4096 of 6000 bytes\)$/);
    expect(cut.startsWith('é'.repeat(2048))).toBe(true);
    expect(capOutput('x'.repeat(4096))).toBe('x'.repeat(4096));
  });

  it('meta keys `__proto__` survive the Consul codec; meta.zone is reserved for the zone', async () => {
    const c = track(consulRegistry({ url }));
    const meta = JSON.parse('{"__proto__":"p","a":"b"}') as Record<string, string>;
    const lease = await c.register({ ...reg, id: 'proto-meta', meta, zone: 'eu-1' });
    const got = (await c.list('orders')).instances.find((i) => i.id === 'proto-meta') as Instance;
    expect(Object.getOwnPropertyDescriptor(got.meta, '__proto__')?.value).toBe('p');
    expect(Object.getPrototypeOf(got.meta)).toBe(Object.prototype);
    expect(got.meta.a).toBe('b');
    expect(got.zone).toBe('eu-1');
    await lease.deregister();
    expect(await field(() => c.register({ ...reg, meta: { zone: 'us' }, zone: 'eu-1' }))).toBe('meta.zone');
  });

  it('a `__proto__` header of a check stays a header', () => {
    const headers = JSON.parse('{"__proto__":["x"],"Accept":"text/plain"}') as Record<string, string[]>;
    const check = validateRegistration({ ...reg, checks: [{ kind: 'http', url: 'http://127.0.0.1:8080/h', interval: '10s', headers }] })
      .checks[0];
    const normalized = check?.kind === 'http' ? check.headers : {};
    expect(Object.getPrototypeOf(normalized)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(normalized, '__proto__')?.value).toEqual(['x']);
  });

  it('consistentHash spreads numeric keys and treats key null as no key', () => {
    const balancer = createBalancer({ strategy: consistentHash({ boundedLoad: false }), outlierEjection: false });
    balancer.update(
      ['a', 'b', 'c', 'd'].map((id) => ({ ...reg, id, tags: [], meta: {}, weight: 1, zone: '', health: 'passing' as const })),
    );
    const seen = new Set<string>();
    for (let k = 0; k < 200; k++) seen.add(balancer.picker.pick(k as never)?.id ?? '');
    expect(seen.size).toBe(4);
    expect(balancer.picker.pick(7 as never)?.id).toBe(balancer.picker.pick('7')?.id);
    expect(balancer.picker.pick(null as never)).toBeDefined();
  });

  it('timers beyond 2³¹−1 ms are refused, not clamped to 1 ms', async () => {
    expect(await field(() => consulRegistry({ url, timeoutMs: 3e9 }))).toBe('timeoutMs');
    expect(await field(() => consulRegistry({ url, watchWaitMs: 1e10 }))).toBe('watchWaitMs');
    expect(await field(() => createFetch({ registry: memoryRegistry(), timeout: { attempt: 3e9 } }))).toBe('timeout.attempt');
  });

  it('backoff with baseMs 0 is refused', async () => {
    expect(await field(() => consulRegistry({ url, backoff: { baseMs: 0, maxMs: 100 } }))).toBe('backoff.baseMs');
  });

  it('typo options are refused, not ignored', async () => {
    expect(await field(() => createFetch({ registry: memoryRegistry(), retry: { attempts: 1 } as never }))).toBe('retry.attempts');
    expect(await field(() => consistentHash({ virtualNode: 8 } as never))).toBe('consistentHash.virtualNode');
  });

  it('a snapshot file that cannot be written is reported in state()', async () => {
    const m = track(memoryRegistry());
    await m.register(reg);
    const resolver = new Resolver({ registry: m, service: 'orders', snapshotFile: '/dev/null/cannot/snapshot.json' });
    await resolver.ready();
    await resolver.flushed();
    expect(resolver.state().snapshotFileError).toBeInstanceOf(Error);
    resolver.close();
  });

  it('consul://user:pw@host/prefix is refused, naming what is wrong', async () => {
    expect((await invalid(() => connect('consul://user:pw@127.0.0.1:8500'))).message).toMatch(/credentials/);
    expect((await invalid(() => connect('consul://127.0.0.1:8500/prefix'))).message).toMatch(/must not have a path/);
    expect(await field(() => connect('consul://127.0.0.1:8500?tokn=x'))).toBe('url?tokn');
  });

  it('memory:// stores are dropped with their last client', async () => {
    const a = connect('memory://findings-store');
    const b = connect('memory://findings-store');
    await a.register(reg);
    await a.close();
    expect((await b.list('orders')).instances).toHaveLength(1);
    await b.close();
    const c = connect('memory://findings-store');
    expect((await c.list('orders')).instances).toHaveLength(0);
    await c.close();
  });
});

describe('unclear errors become clear', () => {
  it('a header-unsafe token is an InvalidArgumentError at construction', async () => {
    expect(await field(() => consulRegistry({ url, token: 'a\r\nb' }))).toBe('token');
    expect(await field(() => consulRegistry({ url: `${url}?token=%E2%82%AC` }))).toBe('url?token');
  });

  it('a bad dispatcher or clock fails at construction', async () => {
    expect(await field(() => consulRegistry({ url, dispatcher: {} as never }))).toBe('dispatcher.request');
    expect(await field(() => consulRegistry({ url, clock: { now: Date.now } as never }))).toBe('clock.setTimeout');
    expect(await field(() => createFetch({ registry: memoryRegistry(), dispatcher: 'agent' as never }))).toBe('dispatcher');
  });

  it('null options objects', async () => {
    expect(await field(() => createFetch(null as never))).toBe('options');
    expect(await field(() => memoryRegistry(null as never))).toBe('options');
    expect(await field(() => connect('memory://x', null as never))).toBe('options');
    expect(await field(() => consulRegistry(null as never))).toBe('options');
    expect(await field(() => new Resolver(null as never))).toBe('options');
    const fetch = createFetch({ registry: memoryRegistry() });
    expect(await field(() => fetch.request('http://orders/', null as never))).toBe('options');
    expect(await field(() => fetch('http://orders/', null as never))).toBe('init');
    await fetch.close();
  });

  it('a numeric method, a bad header name, a non-AbortSignal signal in DiscoveryFetch', async () => {
    const fetch = createFetch({ registry: memoryRegistry() });
    expect(await field(() => fetch('http://orders/', { method: 5 as never }))).toBe('method');
    expect(await field(() => fetch.request('http://orders/', { method: 5 as never }))).toBe('method');
    expect(await field(() => fetch('http://orders/', { headers: { 'bad name': 'x' } }))).toBe('headers');
    expect(await field(() => fetch.request('http://orders/', { headers: { 'bad name': 'x' } }))).toBe('headers.bad name');
    expect(await field(() => fetch.request('http://orders/', { signal: { aborted: false } as never }))).toBe('signal');
    expect(await field(() => fetch('http://orders/', { signal: {} as never }))).toBe('signal');
    await fetch.close();
  });

  it('validateRegistration: tag holes, a Map as meta, unspecified addresses, `roster:` check ids', async () => {
    // eslint-disable-next-line no-sparse-arrays -- a hole is the point of this case
    expect(await field(() => validateRegistration({ ...reg, tags: [, 'a'] }))).toBe('tags[0]');
    expect(await field(() => validateRegistration({ ...reg, meta: new Map([['a', 'b']]) }))).toBe('meta');
    for (const address of ['0::0', '0:0:0:0:0:0:0:0', '::0', '::ffff:0.0.0.0', '0.0.0.0', '::']) {
      expect(await field(() => validateRegistration({ ...reg, address }))).toBe('address');
    }
    expect(await field(() => validateRegistration({ ...reg, checks: [{ kind: 'ttl', ttl: '10s', id: 'roster:orders' }] }))).toBe(
      'checks[0].id',
    );
    // The server decodes the Consul wire, which carries roster's own self check and Meta.zone.
    expect(
      validateRegistration({ ...reg, checks: [{ kind: 'ttl', ttl: '10s', id: 'roster:x' }] }, { allowReserved: true }).checks,
    ).toHaveLength(1);
  });
});
