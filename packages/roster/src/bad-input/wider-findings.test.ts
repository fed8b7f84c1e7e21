/**
 * Regression tests for the defects the widened bad-input suite found (test-support-wider.ts; seeds
 * 12345, 777, 99, 31337). The last nine (RetryBudget … encodeInstanceValue) emptied the list of
 * exports the sweep tolerated a raw TypeError from (decision D150). Each was a raw TypeError or RangeError (one an uncaught exception that
 * killed the process) where a roster error naming the argument belongs.
 */
import { describe, expect, it } from 'vitest';
import { systemClock, sleep } from '../clock.js';
import { formatMs } from '../duration.js';
import { AccessDeniedError, ClosedError, InvalidArgumentError, NoInstancesError, RetriesExhaustedError, TimeoutError } from '../errors.js';
import { compose } from '../fetch/compose.js';
import { undiciTransport } from '../fetch/undici-transport.js';
import { startCheck } from '../health/check-runner.js';
import { httpProbe } from '../health/http-probe.js';
import { parseTcpTarget } from '../health/tcp-probe.js';
import { TypedEvent } from '../internal/typed-event.js';
import { resolveConsulToken } from '../registry/consul/consul-url.js';
import { validateRegistration } from '../validate.js';
import { mulberry32 } from '../balancer/mulberry32.js';
import { parseGoDuration } from '../duration.js';
import { startCriticalReaper } from '../health/critical-reaper.js';
import { canonicalAddress, normalizeHost, refusedAddress, refusedHost, refusedTarget } from '../health/target-guard.js';
import { CheckAllowList } from '../health/check-allow-list.js';
import { Thresholds } from '../health/thresholds.js';
import { tcpProbe } from '../health/tcp-probe.js';
import { startTtlTimer, ttlExpiredOutput } from '../health/ttl-timer.js';
import { selfCheckId } from '../registry/consul/consul-codec.js';
import { instanceKey, parseInstanceKey, servicePrefix } from '../registry/etcd/etcd-codec.js';
import { parseEtcdUrl } from '../registry/etcd/etcd-options.js';
import { uniqueService } from '../testing/contract-clauses.js';
import http from 'node:http';
import { attachHealth } from '../agent/attach-health.js';
import { defaultAddress } from '../agent/default-address.js';
import { RetryBudget } from '../fetch/retry-budget.js';
import { byId, type Instance } from '../model.js';
import { memoryRegistry } from '../registry/memory.js';
import { encodeRegistration } from '../registry/consul/consul-codec.js';
import { consulHttpFor } from '../registry/consul/consul-url.js';
import { encodeInstanceValue } from '../registry/etcd/etcd-codec.js';
import { diffSnapshots } from '../resolver/diff.js';
import { acquireResolver } from '../resolver/shared-resolvers.js';

/** The field of the InvalidArgumentError `run` throws or rejects with. */
async function field(run: () => unknown): Promise<string> {
  try {
    await run();
  } catch (error) {
    if (error instanceof InvalidArgumentError) return error.field;
    throw error;
  }
  throw new Error('no error');
}

describe('defects found by the widened bad-input suite', () => {
  it('sleep() with a signal that is not an AbortSignal rejects naming signal (was an uncaught TypeError, seed 12345)', async () => {
    expect(await field(() => sleep(systemClock, 1, [1, 2] as never))).toBe('signal');
    expect(await field(() => sleep({} as never, 1))).toBe('clock');
    expect(await field(() => sleep(systemClock, Number.NaN))).toBe('ms');
    await expect(sleep(systemClock, 1)).resolves.toBeUndefined();
  });

  it('compose() refuses a middleware that is not a function, naming it (seed 12345)', async () => {
    expect(await field(() => compose({ now: () => 0 } as never))).toBe('middlewares[0]');
    expect(await field(() => compose((n) => n)(undefined as never))).toBe('next');
  });

  it('resolveConsulToken(undefined) names options (seed 12345)', async () => {
    expect(await field(() => resolveConsulToken(undefined as never))).toBe('options');
  });

  it('error constructors given a Symbol build the error instead of throwing a TypeError (seed 12345)', () => {
    const s = Symbol('s') as never;
    expect(new InvalidArgumentError(s, s).field).toBe('Symbol(s)');
    expect(new TimeoutError(s).message).toBe('Symbol(s)');
    expect(new ClosedError(s).message).toBe('Symbol(s) is closed');
    expect(new NoInstancesError(s).service).toBe('Symbol(s)');
    expect(new RetriesExhaustedError(s, null as never).message).toMatch(/Symbol/);
  });

  it('formatMs() of a non-number names ms (was a RangeError, seed 12345)', async () => {
    expect(await field(() => formatMs(undefined as never))).toBe('ms');
    expect(await field(() => formatMs(Number.POSITIVE_INFINITY))).toBe('ms');
    expect(formatMs(1500)).toBe('1.5s');
  });

  it('httpProbe: a Symbol method, non-array header values and a bigint url are named (seeds 12345, 99)', async () => {
    const url = 'http://127.0.0.1:9/';
    expect(await field(() => httpProbe({ url, method: Symbol('m') as never, timeoutMs: 100 }))).toBe('method');
    expect(await field(() => httpProbe({ url, timeoutMs: 100, headers: { X: 1 } as never }))).toBe('headers.X');
    expect(await field(() => httpProbe({ url, timeoutMs: 100, headers: 0 as never }))).toBe('headers');
    expect(await field(() => httpProbe({ url: 10n as never, timeoutMs: 100 }))).toBe('url');
    expect(await field(() => parseTcpTarget(Symbol('t') as never))).toBe('target');
  });

  it('startCheck: a bad kind, a Symbol interval and a bogus initial status are named (seeds 12345, 31337)', async () => {
    const check = { id: 'c', kind: 'http', url: 'http://127.0.0.1:9/', intervalMs: 1000, timeoutMs: 100, status: 'critical' };
    const onUpdate = () => {};
    expect(await field(() => startCheck({ check: { ...check, kind: {} } as never, onUpdate }))).toBe('check.kind');
    expect(await field(() => startCheck({ check: { ...check, intervalMs: Symbol('i') } as never, onUpdate }))).toBe('check.intervalMs');
    expect(await field(() => startCheck({ check: check as never, onUpdate, initialStatus: 'bogus' as never }))).toBe('initialStatus');
  });

  it('undiciTransport(null), new TypedEvent(name, null), validateRegistration(reg, null) name options (seed 777)', async () => {
    expect(await field(() => undiciTransport(null as never))).toBe('options');
    expect(await field(() => undiciTransport({ dispatcher: {} } as never))).toBe('dispatcher.request');
    expect(await field(() => new TypedEvent('x', null as never))).toBe('options');
    expect(await field(() => validateRegistration({ service: 'a', address: '127.0.0.1', port: 1 }, null as never))).toBe('options');
  });

  it('the sweep of every public function: helpers of the health, consul, etcd and testing entries name a wrong-typed argument (seeds 12345, 777)', async () => {
    const sym = Symbol('s') as never;
    const cases: [() => unknown, string][] = [
      [() => normalizeHost(false as never), 'host'],
      [() => refusedHost(1 as never), 'host'],
      [() => refusedAddress(null as never), 'address'],
      [() => canonicalAddress({} as never), 'host'],
      [() => refusedTarget('a', new Map() as never), 'policy'],
      [() => tcpProbe(undefined as never), 'spec'],
      [() => startTtlTimer(undefined as never), 'options'],
      [() => startCriticalReaper(undefined as never), 'options'],
      [() => ttlExpiredOutput(sym), 'lastOutput'],
      [() => selfCheckId(sym), 'id'],
      [() => instanceKey('p/', sym, 'a'), 'service'],
      [() => servicePrefix(sym, 'a'), 'prefix'],
      [() => parseInstanceKey('p/', undefined as never), 'key'],
      [() => parseEtcdUrl(false as never), 'url'],
      [() => mulberry32(sym), 'seed'],
      [() => uniqueService(sym), 'tag'],
      [() => new CheckAllowList(false as never), 'checkAllow'],
      [() => new Thresholds(undefined as never, 'passing'), 'options'],
    ];
    for (const [run, name] of cases) expect(await field(run)).toBe(name);
    expect(parseGoDuration(false as never).ok).toBe(false);
  });
});

describe('the last nine exports the sweep tolerated a raw TypeError from (seed 12345, D150)', () => {
  const inst: Instance = {
    id: 'a-1',
    service: 'a',
    address: '127.0.0.1',
    port: 1,
    tags: [],
    meta: {},
    weight: 1,
    zone: '',
    health: 'passing',
  };
  const clock = { now: () => 0, setTimeout: () => 0, clearTimeout: () => {} } as never;

  it('new RetryBudget() names ratio, perSecond, windowMs and clock', async () => {
    expect(await field(() => new RetryBudget(undefined as never, 10, 10_000, clock))).toBe('ratio');
    expect(await field(() => new RetryBudget(0.2, -1, 10_000, clock))).toBe('perSecond');
    expect(await field(() => new RetryBudget(0.2, 10, Symbol('w') as never, clock))).toBe('windowMs');
    expect(await field(() => new RetryBudget(0.2, 10, 10_000, {} as never))).toBe('clock.now');
    expect(await field(() => new RetryBudget(0.2, 10, 10_000, undefined as never))).toBe('clock');
    const budget = new RetryBudget(0.5, 0, 10_000, clock);
    budget.deposit();
    budget.deposit();
    expect(budget.available()).toBe(1);
  });

  it('acquireResolver() names registry, service and options', async () => {
    expect(await field(() => acquireResolver(undefined as never, 'a'))).toBe('registry');
    expect(await field(() => acquireResolver(1 as never, 'a'))).toBe('registry');
    const registry = memoryRegistry();
    try {
      expect(await field(() => acquireResolver(registry, Symbol('s') as never))).toBe('service');
      expect(await field(() => acquireResolver(registry, 'a', null as never))).toBe('options');
      expect(await field(() => acquireResolver(registry, 'a', { tpyo: 1 } as never))).toBe('tpyo');
      const one = acquireResolver(registry, 'a');
      const two = acquireResolver(registry, 'a');
      expect(two.resolver).toBe(one.resolver);
      one.release();
      two.release();
      expect(one.resolver.closed).toBe(true);
    } finally {
      await registry.close();
    }
  });

  it('attachHealth() names server, source and path, and still serves /health', async () => {
    const server = http.createServer((_req, res) => res.end('app'));
    const source = { health: { status: 'passing' as const, output: '' } };
    expect(await field(() => attachHealth(undefined as never, source))).toBe('server');
    expect(await field(() => attachHealth({} as never, source))).toBe('server.listeners');
    expect(await field(() => attachHealth(server, 1 as never))).toBe('source');
    expect(await field(() => attachHealth(server, {} as never))).toBe('source');
    expect(await field(() => attachHealth(server, source, 7 as never))).toBe('path');
    expect(await field(() => attachHealth(server, source, 'health'))).toBe('path');
    const undo = attachHealth(server, source as never);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      expect(await (await fetch(`${base}/health`)).text()).toBe('passing\n');
      expect(await (await fetch(`${base}/x`)).text()).toBe('app');
    } finally {
      undo();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('byId() names the argument that is not an instance', async () => {
    expect(await field(() => byId(undefined as never, inst))).toBe('a.id');
    expect(await field(() => byId(inst, { id: 1 } as never))).toBe('b.id');
    expect([{ ...inst, id: 'b' }, inst].sort(byId).map((i) => i.id)).toEqual(['a-1', 'b']);
  });

  it('defaultAddress() names listening.address, interfaces and the bad interface entry', async () => {
    expect(await field(() => defaultAddress({ address: 1 } as never, {}))).toBe('listening.address');
    expect(await field(() => defaultAddress(null, undefined as never))).toBe('interfaces');
    expect(await field(() => defaultAddress(null, { eth0: 5 } as never))).toBe('interfaces.eth0');
    expect(await field(() => defaultAddress(null, { eth0: [null] } as never))).toBe('interfaces.eth0[0]');
    expect(await field(() => defaultAddress(null, { eth0: [{ address: 1, family: 'IPv4', internal: false }] } as never))).toBe(
      'interfaces.eth0[0].address',
    );
    expect(defaultAddress(null, { lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }] } as never)).toBe('127.0.0.1');
    expect(defaultAddress({ address: '::ffff:10.0.0.5', family: 'IPv6', port: 1 }, {})).toBe('10.0.0.5');
  });

  it('diffSnapshots() names before, after and the field of theirs that is wrong', async () => {
    const snap = { service: 'a', revision: 1, instances: [inst] };
    expect(await field(() => diffSnapshots(undefined, undefined as never))).toBe('after');
    expect(await field(() => diffSnapshots(1 as never, snap))).toBe('before');
    expect(await field(() => diffSnapshots(undefined, { ...snap, instances: [{ ...inst, tags: 'x' }] } as never))).toBe(
      'after.instances[0].tags',
    );
    expect(await field(() => diffSnapshots(undefined, { ...snap, instances: [{ ...inst, health: 'bogus' }] } as never))).toBe(
      'after.instances[0].health',
    );
    const diff = diffSnapshots(snap, { ...snap, revision: 2, instances: [{ ...inst, health: 'critical' }] });
    expect(diff.changed).toHaveLength(1);
  });

  it('consulHttpFor() names options and the bad address option, ignores the caller’s other options', async () => {
    expect(await field(() => consulHttpFor(undefined as never))).toBe('options');
    expect(await field(() => consulHttpFor({ url: 5 } as never))).toBe('url');
    expect(await field(() => consulHttpFor({ timeoutMs: 'soon' } as never))).toBe('timeoutMs');
    expect(await field(() => consulHttpFor({ url: 'http://127.0.0.1:9', tls: {} } as never))).toBe('tls');
    expect(consulHttpFor({ url: 'http://127.0.0.1:9', clock: 'not read here' } as never)).toBeDefined();
  });

  it('encodeRegistration() names the field of reg or options with the wrong type', async () => {
    const reg = validateRegistration({ service: 'a', address: '127.0.0.1', port: 1, ttl: '10s' });
    const options = { health: 'passing' as const, deregisterAfterMs: 60_000 };
    expect(await field(() => encodeRegistration(undefined as never, options))).toBe('reg');
    expect(await field(() => encodeRegistration({ ...reg, checks: undefined } as never, options))).toBe('reg.checks');
    expect(await field(() => encodeRegistration({ ...reg, checks: [{ kind: 'http' }] } as never, options))).toBe('reg.checks[0].id');
    expect(await field(() => encodeRegistration({ ...reg, meta: 1 } as never, options))).toBe('reg.meta');
    expect(await field(() => encodeRegistration(reg, undefined as never))).toBe('options');
    expect(await field(() => encodeRegistration(reg, { ...options, health: 'bogus' } as never))).toBe('options.health');
    const body = encodeRegistration(reg, options);
    expect(body.Name).toBe('a');
    expect((body.Checks as { CheckID: string }[])[0]!.CheckID).toBe(`roster:${reg.id}`);
  });

  it('encodeInstanceValue() names instance (or its field), health and output', async () => {
    expect(await field(() => encodeInstanceValue(undefined as never, 'passing', ''))).toBe('instance');
    expect(await field(() => encodeInstanceValue({ ...inst, port: 1n } as never, 'passing', ''))).toBe('instance.port');
    expect(await field(() => encodeInstanceValue(inst, 'bogus' as never, ''))).toBe('health');
    expect(await field(() => encodeInstanceValue(inst, 'passing', undefined as never))).toBe('output');
    expect(JSON.parse(encodeInstanceValue(inst, 'warning', 'slow'))).toMatchObject({
      schema: 1,
      id: 'a-1',
      health: 'warning',
      output: 'slow',
    });
  });
});

describe('defects found by the bad-input suite in CI (seed 1443596271)', () => {
  it('announce() with a Symbol port and a check names port (was "Cannot convert a Symbol value to a number")', async () => {
    const { announce } = await import('../agent/announce.js');
    const registry = memoryRegistry();
    try {
      const common = { service: 'fuzz', registry, signals: false, exitOnSignal: false, check: { http: '/health' } };
      expect(await field(() => announce({ ...common, address: '127.0.0.1', port: Symbol('s') } as never))).toBe('port');
      expect(await field(() => announce({ ...common, address: Symbol('a'), port: 80 } as never))).toBe('address');
      expect(await field(() => announce({ ...common, address: {}, port: 80 } as never))).toBe('address');
      expect(await field(() => announce({ ...common, address: '127.0.0.1', port: 1.5 } as never))).toBe('port');
    } finally {
      await registry.close();
    }
  });
});

describe('defects found by the bad-input suite (seed 758828703)', () => {
  it('an error built from an object whose toString is not a function is still that error (was "Cannot convert object to primitive value")', () => {
    const weird = { toString: ['E', 1] } as never;
    const made = [
      new InvalidArgumentError(weird, weird),
      new AccessDeniedError(weird),
      new ClosedError(weird),
      new NoInstancesError(weird, weird),
      new RetriesExhaustedError(weird),
      new TimeoutError(weird),
    ];
    for (const error of made) {
      expect(error.code).toMatch(/^ROSTER_ERR_/);
      expect(error.message).toContain('[object Object]');
    }
    expect((made[0] as InvalidArgumentError).field).toBe('[object Object]');
  });
});

describe('defects found by the bad-input suite (seed 327931984) and their kin', () => {
  const weird = { toString: -1 } as never;
  it('tcpProbe() and httpProbe() name timeoutMs when it is an object whose toString is not a function', async () => {
    expect(await field(() => tcpProbe({ target: '127.0.0.1:9', timeoutMs: weird }))).toBe('timeoutMs');
    expect(await field(() => httpProbe({ url: 'http://127.0.0.1:9/', timeoutMs: weird } as never))).toBe('timeoutMs');
    expect(await field(() => startTtlTimer({ ttlMs: weird } as never))).toBe('ttlMs');
  });

  it('consistentHash picks for a key object whose toString is not a function', async () => {
    const { consistentHash } = await import('../balancer/consistent-hash.js');
    const { inputOf, instances } = await import('../balancer/test-support.js');
    const picker = consistentHash({ boundedLoad: false }).build(inputOf(instances(3)));
    expect(picker.pick(weird)).toBeDefined();
  });

  it('a listener that throws such an object is reported, not rethrown to the emitter', () => {
    const event = new TypedEvent<number>('weird');
    let reached = false;
    event.subscribe(() => {
      throw weird;
    });
    event.subscribe(() => (reached = true));
    expect(() => event.emit(1)).not.toThrow();
    expect(reached).toBe(true);
  });
});

describe('defects found by the bad-input suite (seed 192643760)', () => {
  it("createFetch()'s fetch with an input whose toString is not a function names url", async () => {
    const { createFetch } = await import('../fetch/create-fetch.js');
    const registry = memoryRegistry();
    const fetch = createFetch({ registry });
    try {
      expect(await field(() => fetch({ toString: 1 } as never))).toBe('url');
    } finally {
      await registry.close();
    }
  });
});
