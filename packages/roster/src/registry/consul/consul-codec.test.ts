import { describe, expect, it } from 'vitest';
import { validateRegistration } from '../../validate.js';
import { aggregateHealth, decodeServiceEntry, encodeRegistration, renewedCheckIds } from './consul-codec.js';
import { consulBaseUrl } from './consul-url.js';

describe('encodeRegistration', () => {
  it('writes Consul casing, the weight, the zone as meta and a self check', () => {
    const reg = validateRegistration({
      service: 'orders',
      id: 'orders-1',
      address: '10.0.0.5',
      port: 8080,
      tags: ['v1'],
      meta: { version: '2' },
      weight: 5,
      zone: 'eu-1a',
      ttl: '15s',
      checks: [{ kind: 'http', url: 'http://10.0.0.5:8080/health', interval: '10s', timeout: '3s', deregisterCriticalAfter: '1m' }],
    });
    expect(encodeRegistration(reg, { health: 'passing', deregisterAfterMs: 60_000 })).toEqual({
      ID: 'orders-1',
      Name: 'orders',
      Tags: ['v1'],
      Address: '10.0.0.5',
      Port: 8080,
      Meta: { version: '2', zone: 'eu-1a' },
      Weights: { Passing: 5, Warning: 1 },
      Checks: [
        {
          CheckID: 'service:orders-1',
          Name: "Service 'orders' check",
          Status: 'critical',
          DeregisterCriticalServiceAfter: '1m0s',
          HTTP: 'http://10.0.0.5:8080/health',
          Method: 'GET',
          Interval: '10s',
          Timeout: '3s',
        },
        {
          CheckID: 'roster:orders-1',
          Name: 'roster lease',
          Status: 'passing',
          Notes: 'Health reported by the instance through its roster Lease.',
          TTL: '15s',
          DeregisterCriticalServiceAfter: '1m0s',
        },
      ],
    });
  });

  it('gives a registration without ttl a self check that never expires on its own', () => {
    const reg = validateRegistration({ service: 'a', id: 'a1', address: 'h', port: 1, checks: [{ kind: 'ttl', ttl: '5s', id: 'mine' }] });
    const body = encodeRegistration(reg, { health: 'warning', deregisterAfterMs: 60_000 }) as { Checks: Record<string, unknown>[] };
    expect(body.Checks[1]).toEqual({
      CheckID: 'roster:a1',
      Name: 'roster self check',
      Status: 'warning',
      Notes: 'Health reported by the instance through its roster Lease.',
      TTL: '596h31m23s',
    });
    expect(renewedCheckIds(reg)).toEqual(['roster:a1', 'mine']);
  });
});

describe('decodeServiceEntry', () => {
  const entry = {
    Node: { Node: 'n1', Address: '192.0.2.1', TaggedAddresses: { lan: '192.0.2.1' }, Meta: {} },
    Service: {
      ID: 'o-1',
      Service: 'orders',
      Tags: ['v1'],
      Address: '',
      Port: 9000,
      Meta: { zone: 'z1', k: 'v' },
      Weights: { Passing: 3, Warning: 1 },
    },
    Checks: [
      { CheckID: 'serfHealth', Status: 'passing' },
      { CheckID: 'service:o-1', Status: 'warning' },
    ],
  };

  it('falls back to the node address, splits the zone out of meta, aggregates health', () => {
    expect(decodeServiceEntry(entry)).toEqual({
      id: 'o-1',
      service: 'orders',
      address: '192.0.2.1',
      port: 9000,
      tags: ['v1'],
      meta: { k: 'v' },
      weight: 3,
      zone: 'z1',
      health: 'warning',
    });
  });

  it('rejects entries without a Service object', () => {
    expect(decodeServiceEntry({ Node: {} })).toBeUndefined();
    expect(decodeServiceEntry(null)).toBeUndefined();
  });
});

describe('aggregateHealth', () => {
  it.each([
    [[], 'passing'],
    [[{ CheckID: 'a', Status: 'passing' }], 'passing'],
    [
      [
        { CheckID: 'a', Status: 'passing' },
        { CheckID: 'b', Status: 'warning' },
      ],
      'warning',
    ],
    [
      [
        { CheckID: 'a', Status: 'warning' },
        { CheckID: 'b', Status: 'critical' },
      ],
      'critical',
    ],
    [[{ CheckID: '_service_maintenance:x', Status: 'critical' }], 'critical'],
    [[{ CheckID: '_node_maintenance', Status: 'critical' }], 'critical'],
    [[{ CheckID: 'a', Status: 'maintenance' }], 'critical'],
  ])('%j → %s', (checks, status) => {
    expect(aggregateHealth(checks)).toBe(status);
  });
});

describe('consulBaseUrl', () => {
  it.each([
    ['consul://127.0.0.1:8500', 'http://127.0.0.1:8500'],
    ['consul+https://c.example:8501', 'https://c.example:8501'],
    ['http://localhost:8500', 'http://localhost:8500'],
    ['consul://10.0.0.1:8500?dc=dc2', 'http://10.0.0.1:8500'],
  ])('%s → %s', (url, base) => {
    expect(consulBaseUrl(url)).toBe(base);
  });

  it('rejects other schemes naming the url', () => {
    expect(() => consulBaseUrl('etcd://h:2379')).toThrow(/^url: scheme must be/);
    expect(() => consulBaseUrl('not a url')).toThrow(/^url: "not a url" is not a URL/);
  });
});
