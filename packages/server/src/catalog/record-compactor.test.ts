import { describe, expect, it } from 'vitest';
import { RecordCompactor } from './record-compactor.js';
import { type CheckRecord, type InstanceRecord, STATIC_DEFINITION } from './types.js';

function instance(i: number, over: Partial<InstanceRecord> = {}): InstanceRecord {
  // Built from JSON, as a decoder does: every string and object its own copy.
  return JSON.parse(
    JSON.stringify({
      id: `web-${i}`,
      name: 'web',
      tags: ['a', 'b'],
      address: '10.0.0.1',
      port: 8000 + i,
      meta: { zone: 'z1', version: '2' },
      taggedAddresses: { lan: { address: '10.0.0.1', port: 80 } },
      weights: { passing: 1, warning: 1 },
      enableTagOverride: false,
      createIndex: i,
      modifyIndex: i,
      ...over,
    }),
  ) as InstanceRecord;
}

describe('RecordCompactor', () => {
  it('keeps a meta key `__proto__` as a key, never as the prototype', () => {
    const c = new RecordCompactor();
    const given = instance(1, { meta: JSON.parse('{"__proto__":"p","a":"b"}') as Record<string, string> });
    const out = c.instance(given);
    expect(Object.getOwnPropertyDescriptor(out.meta, '__proto__')?.value).toBe('p');
    expect(Object.getPrototypeOf(out.meta)).toBe(Object.prototype);
    expect(JSON.stringify(out.meta)).toBe('{"__proto__":"p","a":"b"}');
  });

  it('gives back a record deeply equal to the one given, with the same field order', () => {
    const c = new RecordCompactor();
    const given = instance(1, { weights: { passing: 3, warning: 2 } });
    const out = c.instance(given);
    expect(out).toStrictEqual(given);
    expect(JSON.stringify(out)).toBe(JSON.stringify(given));
  });

  it('shares tags, meta, tagged addresses and weights between equal records, frozen', () => {
    const c = new RecordCompactor();
    const a = c.instance(instance(1));
    const b = c.instance(instance(2));
    expect(b.tags).toBe(a.tags);
    expect(b.meta).toBe(a.meta);
    expect(b.taggedAddresses).toBe(a.taggedAddresses);
    expect(b.weights).toBe(a.weights);
    expect(Object.isFrozen(a.tags) && Object.isFrozen(a.meta) && Object.isFrozen(a.taggedAddresses.lan)).toBe(true);
    expect(() => (a.tags as string[]).push('x')).toThrow(TypeError);
  });

  it('does not share parts that differ', () => {
    const c = new RecordCompactor();
    const a = c.instance(instance(1));
    const b = c.instance(instance(2, { tags: ['a'], meta: { zone: 'z2' } }));
    expect(b.tags).toStrictEqual(['a']);
    expect(b.meta).toStrictEqual({ zone: 'z2' });
    expect(a.meta).toStrictEqual({ zone: 'z1', version: '2' });
  });

  it('empty tags and maps are one shared value', () => {
    const c = new RecordCompactor();
    const a = c.instance(instance(1, { tags: [], meta: {}, taggedAddresses: {} }));
    const b = c.instance(instance(2, { tags: [], meta: {}, taggedAddresses: {} }));
    expect(b.tags).toBe(a.tags);
    expect(b.meta).toBe(a.meta);
    expect(b.taggedAddresses).toBe(a.meta);
    expect(a.tags).toStrictEqual([]);
  });

  it('shares check definitions and keeps the rest of a check as given', () => {
    const c = new RecordCompactor();
    const check = (i: number): CheckRecord =>
      JSON.parse(
        JSON.stringify({
          id: `service:web-${i}`,
          name: 'ttl',
          notes: '',
          serviceId: `web-${i}`,
          status: 'passing',
          output: `out ${i}`,
          definition: { ...STATIC_DEFINITION, type: 'ttl', ttlMs: 30_000 },
          createIndex: i,
          modifyIndex: i,
        }),
      ) as CheckRecord;
    const a = c.check(check(1));
    const b = c.check(check(2));
    expect(b.definition).toBe(a.definition);
    expect(b).toStrictEqual(check(2));
    // A copy of a stored record keeps its (frozen) parts as they are.
    expect(c.check({ ...a, output: 'new' }).definition).toBe(a.definition);
  });

  it('stays correct when values unique to each record overflow its tables', () => {
    const c = new RecordCompactor(16);
    for (let i = 0; i < 1000; i++) {
      const r = c.instance(instance(i, { tags: [`t${i}`], meta: { pod: `p${i}` }, name: `s${i}` }));
      expect(r.tags).toStrictEqual([`t${i}`]);
      expect(r.meta).toStrictEqual({ pod: `p${i}` });
    }
  });
});
