/**
 * Field lookup as Go's encoding/json matches keys: exact spelling first, then case-insensitively,
 * then the snake_case aliases, in order; `null` is absent. (The lower-cased key map is built
 * lazily, at the first lookup that is not an exact match.)
 */
import { describe, expect, it } from 'vitest';
import { Fields, parseJsonObject } from './fields.js';

describe('Fields', () => {
  it('finds a field by its exact name, then case-insensitively, then by an alias', () => {
    const f = new Fields({ Name: 'exact', port: 80, enable_tag_override: true, NAME: 'shadowed' }, 'T');
    expect(f.string('Name')).toBe('exact');
    expect(f.int('Port')).toBe(80);
    expect(f.bool('EnableTagOverride', 'enable_tag_override')).toBe(true);
    expect(f.first('EnableTagOverride', ['enable_tag_override'])).toBe(true);
    expect(f.raw('Missing', 'also_missing')).toBeUndefined();
  });

  it('takes the first key spelled case-insensitively like the name, and the first alias that is present', () => {
    const f = new Fields({ tAgS: ['a'], TAGS: ['b'], second_alias: 2, third_alias: 3 }, 'T');
    expect(f.stringArray('Tags')).toEqual(['a']);
    expect(f.first('Absent', ['absent_too', 'SECOND_ALIAS', 'third_alias'])).toBe(2);
  });

  it('lower-cases keys as String.prototype.toLowerCase does, non-ASCII ones included', () => {
    // U+212A KELVIN SIGN lower-cases to an ASCII k; U+0130 lower-cases to two code units.
    const f = new Fields({ '\u212Aind': 'kelvin', '\u0130D': 'dotted', Ports: 1, 'TAGS\u00e9': 2, tags: ['t'] }, 'T');
    expect(f.string('Kind')).toBe('kelvin');
    expect(f.raw('ID')).toBeUndefined();
    expect(f.raw('i\u0307d')).toBe('dotted');
    expect(f.raw('Port')).toBeUndefined();
    expect(f.stringArray('Tags')).toEqual(['t']);
    expect(f.hasKeyIn(new Set(['kind']))).toBe(true);
    expect(f.hasKeyIn(new Set(['port', 'id']))).toBe(false);
  });

  it('treats null as absent and names the Go type of a wrong value', () => {
    const f = parseJsonObject(Buffer.from('{"Name": null, "Port": "80"}'), 'structs.ServiceDefinition');
    expect(f.has('Name')).toBe(false);
    expect(() => f.int('Port')).toThrow('json: cannot unmarshal string into Go struct field structs.ServiceDefinition.Port of type int');
  });

  it('finds keys of nested objects independently of their parent', () => {
    const f = new Fields({ check: { ttl: '10s' }, Checks: [{ TTL: '5s' }, null] }, 'T');
    expect(f.object('Check', 'structs.CheckType')?.duration('TTL')).toBe(10_000);
    const list = f.objectArray('Checks', 'structs.CheckType')!;
    expect(list[0]?.duration('ttl')).toBe(5_000);
    expect(list[1]).toBeUndefined();
  });
});
