import { describe, expect, it } from 'vitest';
import { decodeInstanceValue, encodeInstanceValue, instanceKey, parseInstanceKey, prefixRangeEnd } from './etcd-codec.js';

const P = '/roster/services/';

describe('etcd key schema', () => {
  it.each([
    ['plain', 'api', 'api-1', '/roster/services/api/api-1'],
    ['slash in id', 'api', 'pods/a/b', '/roster/services/api/pods%2Fa%2Fb'],
    ['space and percent', 'api', '50% b', '/roster/services/api/50%25%20b'],
    ['unicode', 'api', 'ümlaut-ø', '/roster/services/api/%C3%BCmlaut-%C3%B8'],
    ['dots in service', 'a.b_c-d', 'x', '/roster/services/a.b_c-d/x'],
  ])('%s: %s/%s ↔ %s', (_case, service, id, key) => {
    expect(instanceKey(P, service, id)).toBe(key);
    expect(parseInstanceKey(P, key)).toEqual({ service, id });
  });

  it.each([
    ['other prefix', '/other/api/x'],
    ['no id', '/roster/services/api/'],
    ['no service', '/roster/services//x'],
    ['service only', '/roster/services/api'],
    ['nested', '/roster/services/api/x/y'],
    ['bad escape', '/roster/services/api/%E0%A4%A'],
  ])('ignores keys outside the schema: %s', (_case, key) => {
    expect(parseInstanceKey(P, key)).toBeUndefined();
  });

  it.each([
    ['abc', 'abd'],
    ['a/', 'a0'],
    ['a\xff', 'b'],
  ])('prefix range end of %j is %j', (prefix, end) => {
    expect(prefixRangeEnd(Buffer.from(prefix, 'latin1')).toString('latin1')).toBe(end);
  });

  it('prefix range end of all-0xff keys is the end of the key space', () => {
    expect([...prefixRangeEnd(Buffer.from([0xff, 0xff]))]).toEqual([0]);
  });
});

describe('etcd value format', () => {
  const instance = {
    id: 'a/1',
    service: 'api',
    address: '10.0.0.1',
    port: 80,
    tags: ['t'],
    meta: { k: 'v' },
    weight: 3,
    zone: 'z',
    health: 'passing' as const,
  };

  it('round-trips an instance with the reported health', () => {
    const raw = encodeInstanceValue(instance, 'warning', 'slow disk');
    expect(JSON.parse(raw)).toEqual({ schema: 1, ...instance, health: 'warning', output: 'slow disk' });
    expect(decodeInstanceValue('api', 'a/1', raw)).toEqual({ ...instance, health: 'warning' });
  });

  it.each([
    ['minimal (another writer)', { schema: 1, address: 'h', port: 1 }, { tags: [], meta: {}, weight: 1, zone: '', health: 'passing' }],
    ['unknown health is critical', { schema: 1, address: 'h', port: 1, health: 'sick' }, { health: 'critical' }],
    ['newer schema, known fields', { schema: 2, address: 'h', port: 1, extra: true }, { health: 'passing' }],
    ['bad tags and meta dropped', { schema: 1, address: 'h', port: 1, tags: [1, 'ok'], meta: { a: 1 } }, { tags: ['ok'], meta: {} }],
    ['bad weight defaults', { schema: 1, address: 'h', port: 1, weight: 0 }, { weight: 1 }],
  ])('decodes leniently: %s', (_case, value, expected) => {
    expect(decodeInstanceValue('api', 'x', JSON.stringify(value))).toMatchObject({ id: 'x', service: 'api', ...expected });
  });

  it.each([
    ['not JSON', 'nope'],
    ['an array', '[]'],
    ['no schema', JSON.stringify({ address: 'h', port: 1 })],
    ['schema 0', JSON.stringify({ schema: 0, address: 'h', port: 1 })],
    ['no address', JSON.stringify({ schema: 1, port: 1 })],
    ['port out of range', JSON.stringify({ schema: 1, address: 'h', port: 70000 })],
  ])('rejects unusable values: %s', (_case, raw) => {
    expect(decodeInstanceValue('api', 'x', raw)).toBeUndefined();
  });

  it('takes service and id from the key, not the value', () => {
    const raw = JSON.stringify({ schema: 1, id: 'other', service: 'other', address: 'h', port: 1 });
    expect(decodeInstanceValue('api', 'x', raw)).toMatchObject({ id: 'x', service: 'api' });
  });
});
