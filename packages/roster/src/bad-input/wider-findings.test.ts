/**
 * Regression tests for the defects the widened bad-input suite found (test-support-wider.ts; seeds
 * 12345, 777, 99, 31337). Each was a raw TypeError or RangeError (one an uncaught exception that
 * killed the process) where a roster error naming the argument belongs.
 */
import { describe, expect, it } from 'vitest';
import { systemClock, sleep } from '../clock.js';
import { formatMs } from '../duration.js';
import { ClosedError, InvalidArgumentError, NoInstancesError, RetriesExhaustedError, TimeoutError } from '../errors.js';
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
