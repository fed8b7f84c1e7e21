/**
 * Catalog.instancesOf keeps a sorted list per name between reads (swapping a replaced record into
 * a copy, dropping the list when one is added or removed or renamed): over random sequences of
 * puts, renames and removals it always equals the instances of that name sorted afresh, and a
 * list handed out earlier never changes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Catalog } from './catalog.js';
import { type InstanceRecord, instanceRecord } from './types.js';

const NODE = { id: 'n', name: 'node-a', address: '127.0.0.1', datacenter: 'dc1', meta: {}, createIndex: 1, modifyIndex: 1 };

function record(id: string, name: string, port: number): InstanceRecord {
  return instanceRecord(
    {
      id,
      name,
      tags: [],
      address: '10.0.0.1',
      port,
      meta: {},
      taggedAddresses: {},
      weights: { passing: 1, warning: 1 },
      enableTagOverride: false,
    },
    1,
    port,
  );
}

describe('Catalog.instancesOf', () => {
  it('equals a fresh sort after any sequence of changes; handed-out lists stay as they were', () => {
    const op = fc.record({
      kind: fc.constantFrom('put', 'put', 'remove', 'read'),
      id: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'),
      name: fc.constantFrom('web', 'WEB', 'api'),
      port: fc.nat(100),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const catalog = new Catalog({ node: NODE, instances: [], checks: [], indexes: { current: 1, tables: {} } });
        const handedOut: { list: readonly InstanceRecord[]; copy: InstanceRecord[] }[] = [];
        for (const o of ops) {
          if (o.kind === 'put') catalog.setInstance(record(o.id, o.name, o.port));
          else if (o.kind === 'remove') catalog.removeInstance(o.id);
          for (const name of ['web', 'api']) {
            const fresh = [...catalog.instances()].filter((s) => s.name.toLowerCase() === name).sort((x, y) => (x.id < y.id ? -1 : 1));
            const list = catalog.instancesOf(name.toUpperCase());
            expect(list).toEqual(fresh);
            for (let i = 0; i < fresh.length; i++) expect(list[i]).toBe(fresh[i]);
            if (o.kind === 'read') handedOut.push({ list, copy: [...list] });
          }
        }
        for (const h of handedOut) expect(h.list).toEqual(h.copy);
      }),
      { numRuns: 200 },
    );
  });
});

describe('Catalog.contentVersion', () => {
  it('moves with its own key and with a reset, never with another key (D184)', () => {
    const state = { node: NODE, instances: [], checks: [], indexes: { current: 1, tables: {} } };
    const catalog = new Catalog(state);
    const seen = new Set<string>();
    const a0 = catalog.contentVersion('service:a');
    seen.add(a0);
    catalog.bumpContent('service:b');
    expect(catalog.contentVersion('service:a')).toBe(a0);
    catalog.bumpContent('service:a');
    const a1 = catalog.contentVersion('service:a');
    expect(seen.has(a1)).toBe(false);
    seen.add(a1);
    catalog.reset(state);
    const a2 = catalog.contentVersion('service:a');
    expect(seen.has(a2)).toBe(false);
    seen.add(a2);
    // A key bumped after the reset never takes a version it had before it.
    catalog.bumpContent('service:a');
    expect(seen.has(catalog.contentVersion('service:a'))).toBe(false);
  });
});
