/**
 * HealthEntries (D81) over a real Catalog: the bytes equal `JSON.stringify` of the rendered
 * entries, and a change re-encodes exactly what it touched — one instance piece for a change of
 * an instance or of one of its checks (output-only included), one node piece and no instance
 * piece for a change of the node's checks — and rejoins only the block(s) holding it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../catalog/catalog.js';
import { type CheckRecord, checkRecord, type InstanceRecord, instanceRecord, STATIC_DEFINITION } from '../catalog/types.js';
import { BLOCK, HealthEntries } from './health-entries.js';
import { checkShape } from './shapes/check-shape.js';
import { nodeShape } from './shapes/node-shape.js';
import { nodeServiceShape } from './shapes/service-shape.js';

const NODE = {
  id: '00000000-0000-4000-8000-000000000001',
  name: 'node-a',
  address: '127.0.0.1',
  datacenter: 'dc1',
  meta: {},
  createIndex: 1,
  modifyIndex: 1,
};

function catalog(): Catalog {
  return new Catalog({ node: NODE, instances: [], checks: [], indexes: { current: 1, tables: {} } });
}

function instance(i: number, port = 1000 + i, index = 10 + i): InstanceRecord {
  return instanceRecord(
    {
      id: `web-${String(i).padStart(3, '0')}`,
      name: 'web',
      tags: i % 2 ? ['odd'] : ['even', 'x'],
      address: '10.0.0.1',
      port,
      meta: { n: String(i) },
      taggedAddresses: {},
      weights: { passing: 1, warning: 1 },
      enableTagOverride: false,
    },
    index,
    index,
  );
}

function check(id: string, serviceId: string, status: 'passing' | 'warning' | 'critical', output: string, index = 5): CheckRecord {
  return checkRecord(
    { id, name: id, notes: '', serviceId, status, output, definition: { ...STATIC_DEFINITION, type: 'ttl', ttlMs: 10_000 } },
    index,
    index,
  );
}

/** What the route renders, the slow way. */
function rendered(cat: Catalog): string {
  const node = nodeShape(cat.node);
  const nodeChecks = cat.nodeChecks().map((c) => checkShape(c, cat));
  return JSON.stringify(
    cat.instancesOf('web').map((s) => ({
      Node: node,
      Service: nodeServiceShape(s),
      Checks: [...nodeChecks, ...cat.checksOf(s.id).map((c) => checkShape(c, cat))],
    })),
  );
}

const encode = (entries: HealthEntries, cat: Catalog) =>
  Buffer.concat(
    entries.encode(
      'web',
      cat.instancesOf('web'),
      cat.instancesOf('web').map((s) => cat.checksOf(s.id)),
    ),
  );

describe('HealthEntries', () => {
  it('a change re-encodes exactly what it touched', () => {
    const cat = catalog();
    const n = 3 * BLOCK + 5;
    for (let i = 0; i < n; i++) {
      cat.setInstance(instance(i));
      cat.setCheck(check(`c-${i}`, instance(i).id, 'passing', 'ok'));
    }
    const entries = new HealthEntries(cat);
    expect(encode(entries, cat).toString()).toBe(rendered(cat));
    expect(entries.stats).toEqual({ nodeEncodes: 1, instanceEncodes: n, blockJoins: 4 });

    // Nothing changed: nothing is encoded or joined again.
    encode(entries, cat);
    expect(entries.stats).toEqual({ nodeEncodes: 1, instanceEncodes: n, blockJoins: 4 });

    // One instance: one piece, one block.
    cat.setInstance(instance(BLOCK + 1, 9999, 500));
    expect(encode(entries, cat).toString()).toBe(rendered(cat));
    expect(entries.stats).toEqual({ nodeEncodes: 1, instanceEncodes: n + 1, blockJoins: 5 });

    // An output-only change of one instance's check (no index move): one piece, one block.
    cat.setCheck(check('c-2', instance(2).id, 'passing', 'still ok'));
    expect(encode(entries, cat).toString()).toBe(rendered(cat));
    expect(entries.stats).toEqual({ nodeEncodes: 1, instanceEncodes: n + 2, blockJoins: 6 });

    // A node check: the node piece only; every block is joined again, no instance re-encoded.
    cat.setCheck(check('node-disk', '', 'warning', 'full'));
    expect(encode(entries, cat).toString()).toBe(rendered(cat));
    expect(entries.stats).toEqual({ nodeEncodes: 2, instanceEncodes: n + 2, blockJoins: 10 });
  });

  it('matches the rendered answer over random change sequences', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('put' as const), i: fc.nat(7), port: fc.nat(65_535) }),
      fc.record({ kind: fc.constant('delete' as const), i: fc.nat(7) }),
      fc.record({
        kind: fc.constant('check' as const),
        i: fc.nat(7),
        status: fc.constantFrom('passing' as const, 'warning' as const, 'critical' as const),
        output: fc.string({ maxLength: 12 }),
      }),
      fc.record({ kind: fc.constant('uncheck' as const), i: fc.nat(7) }),
      fc.record({
        kind: fc.constant('node-check' as const),
        status: fc.constantFrom('passing' as const, 'critical' as const),
        output: fc.string({ maxLength: 12 }),
      }),
      fc.record({ kind: fc.constant('node-uncheck' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const cat = catalog();
        const entries = new HealthEntries(cat, 2);
        let index = 100;
        for (const o of ops) {
          index++;
          const id = instance(o.kind === 'node-check' || o.kind === 'node-uncheck' ? 0 : o.i).id;
          switch (o.kind) {
            case 'put':
              cat.setInstance(instance(o.i, o.port, index));
              break;
            case 'delete':
              for (const c of cat.checksOf(id)) cat.removeCheck(c.id);
              cat.removeInstance(id);
              break;
            case 'check':
              if (cat.instance(id)) cat.setCheck(check(`c-${o.i}`, id, o.status, o.output, index));
              break;
            case 'uncheck':
              cat.removeCheck(`c-${o.i}`);
              break;
            case 'node-check':
              cat.setCheck(check('node-disk', '', o.status, o.output, index));
              break;
            case 'node-uncheck':
              cat.removeCheck('node-disk');
              break;
          }
          expect(encode(entries, cat).toString()).toBe(rendered(cat));
        }
      }),
      { numRuns: 60 },
    );
  });
});
