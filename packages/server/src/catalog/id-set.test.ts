import { describe, expect, it } from 'vitest';
import { addId, type IdSet, idsOf, removeId } from './id-set.js';

describe('id sets in a map', () => {
  it('holds one ID as a string, several as a Set, and collapses back', () => {
    const m = new Map<string, IdSet>();
    addId(m, 's', 'a');
    expect(m.get('s')).toBe('a');
    addId(m, 's', 'a');
    expect(m.get('s')).toBe('a');
    addId(m, 's', 'b');
    addId(m, 's', 'c');
    expect([...idsOf(m, 's')].sort()).toStrictEqual(['a', 'b', 'c']);
    removeId(m, 's', 'a');
    removeId(m, 's', 'c');
    expect(m.get('s')).toBe('b');
    removeId(m, 's', 'x');
    expect(m.get('s')).toBe('b');
    removeId(m, 's', 'b');
    expect(m.has('s')).toBe(false);
    expect([...idsOf(m, 's')]).toStrictEqual([]);
  });

  it('agrees with a Map of Sets over random operations', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const m = new Map<string, IdSet>();
    const model = new Map<string, Set<string>>();
    for (let i = 0; i < 5000; i++) {
      const key = `k${Math.floor(random() * 5)}`;
      const id = `i${Math.floor(random() * 4)}`;
      if (random() < 0.55) {
        addId(m, key, id);
        model.set(key, (model.get(key) ?? new Set()).add(id));
      } else {
        removeId(m, key, id);
        model.get(key)?.delete(id);
        if (model.get(key)?.size === 0) model.delete(key);
      }
      expect([...idsOf(m, key)].sort()).toStrictEqual([...(model.get(key) ?? [])].sort());
      expect(m.has(key)).toBe(model.has(key));
    }
  });
});
