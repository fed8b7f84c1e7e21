/** Property tests (fast-check) across every strategy and the balancer's filtering rules. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HealthStatus, Instance } from '../model.js';
import type { CallOutcome, Strategy } from './balancer.js';
import { consistentHash } from './consistent-hash.js';
import { createBalancer } from './create-balancer.js';
import { leastRequest } from './least-request.js';
import { mulberry32 } from './mulberry32.js';
import { outlierEjection } from './outlier-ejection.js';
import { peakEwma } from './peak-ewma.js';
import { random } from './random.js';
import { roundRobin } from './round-robin.js';
import { slowStart } from './slow-start.js';
import { smoothWeightedRoundRobin } from './smooth-weighted-round-robin.js';
import { inputOf, instance, ManualClock } from './test-support.js';
import { weightedRandom } from './weighted-random.js';
import { zoneAware } from './zone-aware.js';

const strategies: [string, (seed: number) => Strategy][] = [
  ['roundRobin', (s) => roundRobin({ random: mulberry32(s) })],
  ['random', (s) => random({ random: mulberry32(s) })],
  ['weightedRandom', (s) => weightedRandom({ random: mulberry32(s) })],
  ['smoothWeightedRoundRobin', (s) => smoothWeightedRoundRobin({ random: mulberry32(s) })],
  ['leastRequest', (s) => leastRequest({ random: mulberry32(s) })],
  ['peakEwma', (s) => peakEwma({ random: mulberry32(s) })],
  ['consistentHash', (s) => consistentHash({ random: mulberry32(s), virtualNodes: 16 })],
  ['zoneAware', (s) => zoneAware({ zone: 'a', strategy: leastRequest({ random: mulberry32(s) }), random: mulberry32(s + 1) })],
];

const arbInstance = fc.record({
  weight: fc.oneof(fc.integer({ min: 1, max: 65535 }), fc.double({ min: 0.01, max: 100, noNaN: true })),
  zone: fc.constantFrom('a', 'b', 'c', ''),
  health: fc.constantFrom<HealthStatus>('passing', 'passing', 'warning', 'critical'),
  inflight: fc.nat(50),
  latencyMs: fc.oneof(fc.constant(Number.NaN), fc.double({ min: 0, max: 5000, noNaN: true })),
});

const arbOutcome: fc.Arbitrary<CallOutcome> = fc.record({
  ok: fc.boolean(),
  latencyMs: fc.double({ min: 0, max: 1000, noNaN: true }),
  status: fc.option(fc.constantFrom(200, 500, 502, 503, 504), { nil: undefined }),
});

describe.each(strategies)('%s: pick always returns a member of the picker list', (_, make) => {
  it('for any list, weights, loads and keys', () => {
    fc.assert(
      fc.property(
        fc.array(arbInstance, { minLength: 1, maxLength: 40 }),
        fc.array(fc.option(fc.string(), { nil: undefined }), { maxLength: 20 }),
        fc.nat(),
        (specs, keys, seed) => {
          const list = specs.map((s, i) => instance(`i${i}`, { weight: s.weight, zone: s.zone, health: s.health }));
          const input = inputOf(list, {
            weights: specs.map((s) => s.weight),
            loads: specs.map((s) => ({ inflight: s.inflight, latencyMs: s.latencyMs, latencyAt: 0 })),
          });
          const picker = make(seed).build(input);
          const members = new Set(picker.instances);
          for (const p of picker.instances) expect(list).toContain(p);
          for (const key of [...keys, undefined, 'k']) {
            const chosen = picker.pick(key);
            expect(chosen).toBeDefined();
            expect(members.has(chosen!)).toBe(true);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

type Op =
  | { kind: 'call'; target: number; outcome: CallOutcome }
  | { kind: 'advance'; ms: number }
  | { kind: 'health'; target: number; health: HealthStatus }
  | { kind: 'remove'; target: number };

const arbOp: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('call' as const), target: fc.nat(19), outcome: arbOutcome }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 120_000 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('health' as const),
      target: fc.nat(19),
      health: fc.constantFrom<HealthStatus>('passing', 'warning', 'critical'),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), target: fc.nat(19) }) },
);

describe('createBalancer invariants under any sequence of calls, health changes and time', () => {
  it('never offers critical instances, never an ejected one while another is available, never nothing while something is', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom<HealthStatus>('passing', 'warning', 'critical'), { minLength: 1, maxLength: 20 }),
        fc.array(arbOp, { maxLength: 150 }),
        fc.integer({ min: 0, max: 100 }),
        (health, ops, percent) => {
          const clock = new ManualClock();
          const balancer = createBalancer({
            clock,
            strategy: peakEwma({ random: mulberry32(1) }),
            outlierEjection: outlierEjection({ consecutiveFailures: 2, consecutiveGatewayErrors: 1, maxEjectionPercent: percent }),
            slowStart: slowStart({ window: '10s' }),
          });
          const ejected = new Set<string>();
          balancer.onEvent((e) => {
            if (e.type === 'ejected') ejected.add(e.instance.id);
            if (e.type === 'unejected') ejected.delete(e.instance.id);
          });
          let list: Instance[] = health.map((h, i) => instance(`i${i}`, { health: h }));
          balancer.update(list);
          const check = () => {
            const usable = list.filter((i) => i.health !== 'critical');
            const fresh = usable.filter((i) => !ejected.has(i.id));
            const offered = balancer.picker.instances;
            for (const i of offered) expect(i.health).not.toBe('critical');
            if (fresh.length > 0) for (const i of offered) expect(ejected.has(i.id)).toBe(false);
            expect(offered.length > 0).toBe(usable.length > 0);
            const chosen = balancer.picker.pick();
            if (usable.length > 0) expect(offered).toContain(chosen);
            else expect(chosen).toBeUndefined();
          };
          for (const op of ops) {
            if (op.kind === 'call') {
              const target = balancer.picker.pick() ?? list[op.target % list.length];
              if (target) {
                balancer.start(target);
                balancer.finish(target, op.outcome);
              }
            } else if (op.kind === 'advance') clock.advance(op.ms);
            else if (op.kind === 'health' && list.length > 0) {
              const k = op.target % list.length;
              list = list.map((i, j) => (j === k ? { ...i, health: op.health } : i));
              balancer.update(list);
            } else if (op.kind === 'remove' && list.length > 1) {
              const gone = list[op.target % list.length]!;
              list = list.filter((i) => i !== gone);
              ejected.delete(gone.id);
              balancer.update(list);
            }
            check();
          }
          balancer.close();
        },
      ),
      { numRuns: 200 },
    );
  });
});
