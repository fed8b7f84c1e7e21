import { describe, expect, it } from 'vitest';
import type { Instance } from '../model.js';
import type { Picker, PickerInput } from './balancer.js';
import { consistentHash } from './consistent-hash.js';
import { hash32, mix32 } from './hash32.js';
import { mulberry32 } from './mulberry32.js';
import { inputOf, instances } from './test-support.js';

const keys = Array.from({ length: 20_000 }, (_, i) => `user-${i}`);
const mapping = (picker: Picker) => new Map(keys.map((k) => [k, picker.pick(k)!.id]));
const pure = consistentHash({ boundedLoad: false });

/** Picks and keeps every call in flight (start without finish), as the balancer would count it. */
function assign(picker: Picker, input: PickerInput, key: string): Instance {
  const chosen = picker.pick(key)!;
  input.loads[input.instances.indexOf(chosen)]!.inflight++;
  input.pool.inflight++;
  return chosen;
}

describe('consistentHash', () => {
  it('sends the same key to the same instance, also from a newly built picker', () => {
    const list = instances(10);
    const a = mapping(pure.build(inputOf(list)));
    const b = mapping(pure.build(inputOf(list)));
    expect(b).toEqual(a);
  });

  it('maps a key to the owner of the first ring position at or after its hash (brute-force reference)', () => {
    const list = instances(7);
    const vnodes = 16;
    const ring = list.flatMap((i) =>
      Array.from({ length: vnodes }, (_, v) => ({ at: mix32(hash32(i.id) ^ Math.imul(v + 1, 0x9e3779b9)), id: i.id })),
    );
    ring.sort((a, b) => a.at - b.at);
    const picker = consistentHash({ boundedLoad: false, virtualNodes: vnodes }).build(inputOf(list));
    for (const key of keys.slice(0, 2000)) {
      const h = hash32(key);
      const expected = (ring.find((p) => p.at >= h) ?? ring[0]!).id;
      expect(picker.pick(key)!.id).toBe(expected);
    }
  });

  it('does not depend on the order of the list', () => {
    const list = instances(10);
    const shuffled = [...list].reverse();
    expect(mapping(pure.build(inputOf(shuffled)))).toEqual(mapping(pure.build(inputOf(list))));
  });

  it.each([5, 10, 50])('spreads keys evenly over %i instances (each within ±35 %% of the mean)', (n) => {
    const counts = new Map<string, number>();
    for (const id of mapping(pure.build(inputOf(instances(n)))).values()) counts.set(id, (counts.get(id) ?? 0) + 1);
    expect(counts.size).toBe(n);
    for (const c of counts.values()) expect(Math.abs(c / (keys.length / n) - 1)).toBeLessThan(0.35);
  });

  it.each([5, 10, 20])('adding one instance to %i moves about 1/(n+1) of the keys, all to the new one', (n) => {
    const all = instances(n + 1);
    const before = mapping(pure.build(inputOf(all.slice(0, n))));
    const after = mapping(pure.build(inputOf(all)));
    const newcomer = all[n]!.id;
    let moved = 0;
    for (const [key, id] of after) {
      if (id === before.get(key)) continue;
      moved++;
      expect(id).toBe(newcomer);
    }
    const expected = 1 / (n + 1);
    expect(moved / keys.length).toBeGreaterThan(expected * 0.6);
    expect(moved / keys.length).toBeLessThan(expected * 1.4);
  });

  it('removing one instance moves only its own keys', () => {
    const list = instances(8);
    const before = mapping(pure.build(inputOf(list)));
    const gone = list[3]!.id;
    const after = mapping(pure.build(inputOf(list.filter((i) => i.id !== gone))));
    for (const [key, id] of before) if (id !== gone) expect(after.get(key)).toBe(id);
  });

  it.each([
    { c: 1.25, calls: 1000, n: 10, keyCount: 1 },
    { c: 1.25, calls: 1000, n: 10, keyCount: 7 },
    { c: 1.1, calls: 500, n: 7, keyCount: 3 },
    { c: 2, calls: 300, n: 5, keyCount: 1 },
    { c: 1, calls: 100, n: 10, keyCount: 1 },
  ])('bounded load holds: c=$c, $calls calls of $keyCount hot key(s) over $n instances', ({ c, calls, n, keyCount }) => {
    const input = inputOf(instances(n));
    const picker = consistentHash({ boundedLoad: c }).build(input);
    for (let k = 0; k < calls; k++) {
      assign(picker, input, `hot-${k % keyCount}`);
      const cap = Math.ceil((c * input.pool.inflight) / n);
      for (const load of input.loads) expect(load.inflight).toBeLessThanOrEqual(cap);
    }
  });

  it('a hot key overflows clockwise and comes home once its instance has room again', () => {
    const input = inputOf(instances(10));
    const picker = consistentHash({ boundedLoad: 1.25 }).build(input);
    const home = picker.pick('hot')!;
    const homeIndex = input.instances.indexOf(home);
    const first = assign(picker, input, 'hot');
    expect(first).toBe(home);
    const second = assign(picker, input, 'hot'); // cap = ceil(1.25 × 2 / 10) = 1: home is full
    expect(second).not.toBe(home);
    input.loads[homeIndex]!.inflight = 0;
    input.pool.inflight = 1;
    expect(picker.pick('hot')).toBe(home);
  });

  it('without bounded load a hot key always goes to one instance', () => {
    const input = inputOf(instances(10));
    const picker = pure.build(input);
    const ids = new Set(Array.from({ length: 100 }, () => assign(picker, input, 'hot').id));
    expect(ids.size).toBe(1);
  });

  it('picks at random without a key', () => {
    const picker = consistentHash({ random: mulberry32(5) }).build(inputOf(instances(10)));
    const ids = new Set(Array.from({ length: 200 }, () => picker.pick()!.id));
    expect(ids.size).toBe(10);
  });

  it.each([
    { options: { boundedLoad: 0.9 }, field: 'consistentHash.boundedLoad' },
    { options: { boundedLoad: true }, field: 'consistentHash.boundedLoad' },
    { options: { virtualNodes: 0 }, field: 'consistentHash.virtualNodes' },
    { options: { virtualNodes: 1.5 }, field: 'consistentHash.virtualNodes' },
  ])('rejects $field = $options', ({ options, field }) => {
    expect(() => consistentHash(options as never)).toThrow(expect.objectContaining({ field }));
  });
});
