/** Options of registerGrpcResolver and target parsing: defaults, overrides, and errors that name the option. */
import { describe, expect, it } from 'vitest';
import { memoryRegistry } from '../registry/memory.js';
import { DEFAULT_GRPC_RETRY, normalizeGrpcOptions, serviceConfigOf } from './grpc-options.js';
import { parseGrpcTarget } from './grpc-target.js';
import { offeredInstances } from './offered-instances.js';

const registry = memoryRegistry();

describe('normalizeGrpcOptions', () => {
  it('fills the defaults', () => {
    const s = normalizeGrpcOptions({ registry });
    expect(s).toMatchObject({ scheme: 'roster', readyTimeoutMs: 10_000, passingQuorum: 0.5 });
    expect(s.defaults).toEqual({ loadBalancing: 'roster_p2c_ewma', retry: DEFAULT_GRPC_RETRY });
    expect(serviceConfigOf(s, 'orders', undefined)).toEqual({
      loadBalancingConfig: [{ roster_p2c_ewma: {} }],
      methodConfig: [
        {
          name: [{}],
          retryPolicy: {
            maxAttempts: 3,
            initialBackoff: '0.05s',
            maxBackoff: '1s',
            backoffMultiplier: 2,
            retryableStatusCodes: ['UNAVAILABLE'],
          },
        },
      ],
    });
  });

  it('overrides: options → services[name] → the target’s lb', () => {
    const s = normalizeGrpcOptions({
      registry,
      loadBalancing: 'round_robin',
      retry: { maxAttempts: 4 },
      services: { billing: { loadBalancing: 'roster_weighted', retry: false } },
      readyTimeoutMs: '2s',
    });
    expect(s.readyTimeoutMs).toBe(2000);
    expect(serviceConfigOf(s, 'orders', undefined)).toMatchObject({
      loadBalancingConfig: [{ round_robin: {} }],
      methodConfig: [{ retryPolicy: { maxAttempts: 4, retryableStatusCodes: ['UNAVAILABLE'] } }],
    });
    expect(serviceConfigOf(s, 'billing', undefined)).toEqual({ loadBalancingConfig: [{ roster_weighted: {} }], methodConfig: [] });
    expect(serviceConfigOf(s, 'billing', 'pick_first')).toMatchObject({ loadBalancingConfig: [{ pick_first: {} }] });
  });

  it.each([
    [undefined, 'options'],
    [{}, 'registry'],
    [{ registry: {} }, 'registry.watch'],
    [{ registry, scheme: 'dns' }, 'scheme'],
    [{ registry, scheme: 'Roster!' }, 'scheme'],
    [{ registry, loadBalancing: '' }, 'loadBalancing'],
    [{ registry, retry: { maxAttempts: 1 } }, 'retry.maxAttempts'],
    [{ registry, retry: { initialBackoff: '50ms' } }, 'retry.initialBackoff'],
    [{ registry, retry: { retryableStatusCodes: [] } }, 'retry.retryableStatusCodes'],
    [{ registry, retry: { tries: 3 } }, 'retry.tries'],
    [{ registry, services: { 'bad name!': {} } }, 'services.bad name!'],
    [{ registry, services: { orders: { lb: 'x' } } }, 'services.orders.lb'],
    [{ registry, readyTimeoutMs: -1 }, 'readyTimeoutMs'],
    [{ registry, passingQuorum: 2 }, 'passingQuorum'],
    [{ registry, typo: 1 }, 'typo'],
  ])('%j → InvalidArgumentError naming %s', (options, field) => {
    expect(() => normalizeGrpcOptions(options)).toThrow(expect.objectContaining({ code: 'ROSTER_ERR_INVALID_ARGUMENT', field }));
  });
});

describe('parseGrpcTarget', () => {
  it('reads the service and the tag, zone and lb parameters', () => {
    expect(parseGrpcTarget('orders', '', 'roster')).toEqual({ service: 'orders', tags: [], zone: undefined, lb: undefined });
    expect(parseGrpcTarget('orders?tag=v2&tag=canary&zone=eu-1&lb=roster_weighted', '', 'roster')).toEqual({
      service: 'orders',
      tags: ['v2', 'canary'],
      zone: 'eu-1',
      lb: 'roster_weighted',
    });
  });

  it.each([
    ['', ''],
    ['bad name', ''],
    ['orders?color=red', ''],
    ['orders?lb=', ''],
    ['orders', 'somehost'],
  ])('refuses path %j (authority %j) with an error naming the target', (path, authority) => {
    expect(() => parseGrpcTarget(path, authority, 'roster')).toThrow(expect.objectContaining({ field: 'target' }));
  });
});

describe('offeredInstances', () => {
  const inst = (id: string, health: 'passing' | 'warning' | 'critical', fields: { tags?: string[]; zone?: string } = {}) => ({
    id,
    service: 'orders',
    address: '127.0.0.1',
    port: 1,
    tags: fields.tags ?? [],
    meta: {},
    weight: 1,
    zone: fields.zone ?? '',
    health,
  });
  const target = { service: 'orders', tags: [], zone: undefined, lb: undefined };

  it('never offers critical; warning only while passing ones are below the quorum', () => {
    const ids = (list: { id: string }[]) => list.map((i) => i.id);
    expect(ids(offeredInstances([inst('a', 'passing'), inst('b', 'warning'), inst('c', 'critical')], target, 0.5))).toEqual(['a']);
    expect(ids(offeredInstances([inst('a', 'passing'), inst('b', 'warning'), inst('c', 'warning')], target, 0.5))).toEqual(['a', 'b', 'c']);
    expect(ids(offeredInstances([inst('b', 'warning'), inst('c', 'critical')], target, 0.5))).toEqual(['b']);
    expect(offeredInstances([inst('c', 'critical')], target, 0.5)).toEqual([]);
  });

  it('keeps only the tags and zone asked for', () => {
    const list = [
      inst('a', 'passing', { tags: ['v2'], zone: 'z1' }),
      inst('b', 'passing', { tags: ['v1'], zone: 'z1' }),
      inst('c', 'passing', { tags: ['v2'], zone: 'z2' }),
    ];
    expect(offeredInstances(list, { ...target, tags: ['v2'] }, 0.5).map((i) => i.id)).toEqual(['a', 'c']);
    expect(offeredInstances(list, { ...target, tags: ['v2'], zone: 'z2' }, 0.5).map((i) => i.id)).toEqual(['c']);
  });
});
