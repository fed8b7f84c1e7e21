import { describe, expect, it } from 'vitest';
import type { Instance } from '../model.js';
import type { Strategy } from './balancer.js';
import { consistentHash } from './consistent-hash.js';
import { mulberry32 } from './mulberry32.js';
import { peakEwma } from './peak-ewma.js';
import { roundRobin } from './round-robin.js';
import { histogram, inputOf, instance } from './test-support.js';
import { zoneAware } from './zone-aware.js';

/** `total` instances in `zone`, of which the first `offered` are offered. */
function zone(name: string, total: number, offered: number): { all: Instance[]; offered: Instance[] } {
  const all = Array.from({ length: total }, (_, i) =>
    instance(`${name}-${i}`, { zone: name, health: i < offered ? 'passing' : 'critical' }),
  );
  return { all, offered: all.slice(0, offered) };
}

describe('zoneAware', () => {
  const rows = [
    { name: 'healthy local zone takes everything', local: [4, 4], remote: [6, 6], localShare: 1 },
    { name: '3 of 4 local: 75 % stays, 25 % spills over', local: [4, 3], remote: [6, 6], localShare: 0.75 },
    { name: 'exactly at the threshold (2 of 4) still prefers local', local: [4, 2], remote: [6, 6], localShare: 0.5 },
    { name: 'below the threshold (1 of 4): panic, all zones alike', local: [4, 1], remote: [6, 6], localShare: 1 / 7 },
    { name: 'no local instance offered: all remote', local: [4, 0], remote: [6, 6], localShare: 0 },
    { name: 'no local zone at all: all remote', local: [0, 0], remote: [6, 6], localShare: 0 },
    { name: 'nothing remote to spill to: all local', local: [4, 3], remote: [6, 0], localShare: 1 },
    { name: 'panicThreshold 0 never panics', local: [4, 1], remote: [6, 6], localShare: 0.25, panicThreshold: 0 },
    { name: 'panicThreshold 100 panics at any loss', local: [4, 3], remote: [6, 6], localShare: 3 / 9, panicThreshold: 100 },
  ];
  it.each(rows)('$name', ({ local, remote, localShare, panicThreshold }) => {
    const l = zone('az1', local[0]!, local[1]!);
    const r = zone('az2', remote[0]!, remote[1]!);
    const strategy = zoneAware({ zone: 'az1', strategy: roundRobin({ random: () => 0 }), panicThreshold, random: mulberry32(11) });
    const picker = strategy.build(inputOf([...l.offered, ...r.offered], { all: [...l.all, ...r.all] }));
    const picks = 40_000;
    const counts = histogram(() => picker.pick(), picks);
    const offeredIds = new Set([...l.offered, ...r.offered].map((i) => i.id));
    let localPicks = 0;
    for (const [id, c] of counts) {
      expect(offeredIds.has(id)).toBe(true);
      if (id.startsWith('az1')) localPicks += c;
    }
    expect(Math.abs(localPicks / picks - localShare)).toBeLessThan(0.01);
    // `instances` lists exactly what the picker may choose from.
    expect(new Set(picker.instances.map((i) => i.id))).toEqual(new Set(counts.keys()));
  });

  it('keeps a key on one side and one instance (consistent hashing inside)', () => {
    const l = zone('az1', 4, 3);
    const r = zone('az2', 4, 4);
    const strategy = zoneAware({ zone: 'az1', strategy: consistentHash({ boundedLoad: false }) });
    const picker = strategy.build(inputOf([...l.offered, ...r.offered], { all: [...l.all, ...r.all] }));
    let local = 0;
    for (let k = 0; k < 4000; k++) {
      const first = picker.pick(`key-${k}`)!;
      expect(picker.pick(`key-${k}`)).toBe(first);
      if (first.zone === 'az1') local++;
    }
    expect(local / 4000).toBeCloseTo(0.75, 1);
  });

  it('passes outcomes on to the inner strategy', () => {
    const strategy = zoneAware({ zone: 'az1', strategy: peakEwma() });
    const load = { inflight: 0, latencyMs: Number.NaN, latencyAt: 0 };
    strategy.observe!(load, { ok: false, latencyMs: 45 }, 5); // a first failure sets peak EWMA's estimate
    expect(load.latencyMs).toBe(45);
    expect(zoneAware({ zone: 'az1', strategy: roundRobin() }).observe).toBeUndefined();
  });

  it.each([
    { options: { strategy: roundRobin() }, field: 'zoneAware.zone' },
    { options: { zone: '', strategy: roundRobin() }, field: 'zoneAware.zone' },
    { options: { zone: 'az1' }, field: 'zoneAware.strategy' },
    { options: { zone: 'az1', strategy: 'round-robin' }, field: 'zoneAware.strategy' },
    { options: { zone: 'az1', strategy: roundRobin(), panicThreshold: 101 }, field: 'zoneAware.panicThreshold' },
  ])('rejects $field in $options', ({ options, field }) => {
    expect(() => zoneAware(options as unknown as { zone: string; strategy: Strategy })).toThrow(expect.objectContaining({ field }));
  });
});
