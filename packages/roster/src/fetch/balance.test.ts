import { describe, expect, it } from 'vitest';
import type { Balancer, CallOutcome, Picker } from '../balancer/balancer.js';
import { createBalancer } from '../balancer/create-balancer.js';
import { roundRobin } from '../balancer/round-robin.js';
import { AbortedError, InvalidArgumentError, NoInstancesError, TimeoutError } from '../errors.js';
import type { Instance } from '../model.js';
import { FakeClock } from '../testing/fake-clock.js';
import { balance } from './balance.js';
import { codeError, instance, scriptedTransport } from './test-support.js';
import type { Answer } from './test-support.js';
import type { TransportRequest } from './transport.js';

const GET: TransportRequest = { service: 'orders', origin: 'http://orders', path: '/v1/items?x=1', method: 'GET' };

/** A Balancer that always picks `chosen` and records start/finish. */
function recordingBalancer(chosen: Instance | undefined, all: Instance[] = chosen ? [chosen] : []) {
  const log: { started: string[]; finished: [string, CallOutcome][] } = { started: [], finished: [] };
  const picker: Picker = { pick: () => chosen, instances: all };
  const balancer = {
    picker,
    update() {},
    start: (i: Instance) => log.started.push(i.id),
    finish: (i: Instance, o: CallOutcome) => log.finished.push([i.id, o]),
    subscribe: () => () => {},
    onEvent: () => () => {},
    close() {},
    [Symbol.dispose]() {},
  } satisfies Balancer;
  return { balancer, log };
}

describe('balance', () => {
  it.each([
    ['http://orders', '10.0.0.7', 8080, 'http://10.0.0.7:8080'],
    ['https://orders', '10.0.0.7', 8443, 'https://10.0.0.7:8443'],
    ['http://orders', 'fd00::7', 9000, 'http://[fd00::7]:9000'],
    ['http://orders', 'orders-7.internal', 80, 'http://orders-7.internal:80'],
  ])('rewrites %s to the instance %s port %i → %s, keeping the path', async (origin, address, port, expected) => {
    const chosen = instance('i7', { address, port });
    const transport = scriptedTransport(() => 200);
    const res = await balance(recordingBalancer(chosen).balancer)(transport)({ ...GET, origin });
    expect(transport.calls[0]).toMatchObject({ origin: expected, path: '/v1/items?x=1', instance: chosen });
    expect(res.instance).toBe(chosen);
  });

  it.each<[string, Answer, boolean, number | undefined]>([
    ['200', 200, true, 200],
    ['404', 404, true, 404],
    ['499', 499, true, 499],
    ['500', 500, false, 500],
    ['503', 503, false, 503],
    ['refused', codeError('ECONNREFUSED'), false, undefined],
    ['timed out', new TimeoutError('slow'), false, undefined],
    ['aborted by the caller', new AbortedError('bye'), true, undefined],
  ])('reports %s to the balancer as ok=%s status=%s, latency to the headers', async (_name, answer, ok, status) => {
    const clock = new FakeClock(0);
    const chosen = instance('a');
    const { balancer, log } = recordingBalancer(chosen);
    const transport = scriptedTransport(async () => {
      await clock.advance(42);
      return answer;
    });
    await balance(balancer, { clock })(transport)(GET).catch(() => {});
    expect(log.started).toEqual(['a']);
    expect(log.finished).toEqual([['a', status === undefined ? { ok, latencyMs: 42 } : { ok, latencyMs: 42, status }]]);
  });

  it('rejects with NoInstancesError when the pool is empty, without calling the transport', async () => {
    const transport = scriptedTransport(() => 200);
    const error = await balance(recordingBalancer(undefined).balancer)(transport)(GET).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoInstancesError);
    expect(error).toMatchObject({ service: 'orders', retryable: true });
    expect(transport.calls).toHaveLength(0);
  });

  it('on a retry picks an instance the call has not tried, and records it', async () => {
    const pool = [instance('a'), instance('b'), instance('c')];
    const { balancer } = recordingBalancer(pool[0], pool); // a picker stuck on "a", like consistent hashing
    const transport = scriptedTransport(() => 200);
    const attempts = { tried: ['a'], picker: undefined };
    await balance(balancer)(transport)({ ...GET, key: 'user-1', attempts });
    expect(attempts.tried).toEqual(['a', expect.stringMatching(/^[bc]$/)]);
    expect(attempts.picker).toBe(balancer.picker);
    const all = { tried: ['a', 'b', 'c'], picker: undefined };
    await expect(balance(balancer)(transport)({ ...GET, attempts: all })).rejects.toThrow(/every instance was tried/);
  });

  it('feeds a real balancer: in-flight counts return to zero, failures eject', async () => {
    const clock = new FakeClock(0);
    const pool = [instance('a'), instance('b')];
    const balancer = createBalancer({ strategy: roundRobin(), clock });
    balancer.update(pool);
    const outcomes: [string, boolean][] = [];
    const transport = scriptedTransport((req) => (req.instance!.id === 'a' ? codeError('ECONNREFUSED') : 200));
    const call = balance(balancer, { clock, onOutcome: (i, o) => outcomes.push([i.id, o.ok]) })(transport);
    for (let i = 0; i < 10; i++) await call(GET).catch(() => {});
    // Three refused calls in a row eject "a" (default consecutiveGatewayErrors); then only "b" is picked.
    expect(outcomes.filter(([id]) => id === 'a')).toHaveLength(3);
    expect(balancer.picker.instances.map((i) => i.id)).toEqual(['b']);
    balancer.close();
  });

  it('validates the balancer once', () => {
    expect(() => balance({} as Balancer)).toThrow(InvalidArgumentError);
  });
});
