import { describe, expect, it } from 'vitest';
import type { InstanceLoad } from './balancer.js';
import { mulberry32 } from './mulberry32.js';
import { peakEwma } from './peak-ewma.js';
import { histogram, inputOf, instance, instances, ManualClock } from './test-support.js';

const load = (latencyMs: number, at = 0, inflight = 0): InstanceLoad => ({ inflight, latencyMs, latencyAt: at });

describe('peakEwma observe (the estimate)', () => {
  const tau = 10_000;
  const rows = [
    { name: 'first sample is taken as is', prev: Number.NaN, dt: 0, sample: 40, ok: true, expected: 40 },
    { name: 'a slower sample is taken at once (peak)', prev: 10, dt: 0, sample: 100, ok: true, expected: 100 },
    { name: 'a faster sample right away changes nothing', prev: 100, dt: 0, sample: 10, ok: true, expected: 100 },
    { name: 'a faster sample after τ moves 1 - 1/e of the way', prev: 100, dt: tau, sample: 10, ok: true, expected: 10 + 90 / Math.E },
    { name: 'a fast failure never lowers the estimate', prev: 100, dt: tau, sample: 1, ok: false, expected: 100 },
    { name: 'a first fast failure counts as the default latency', prev: Number.NaN, dt: 0, sample: 1, ok: false, expected: 30 },
  ];
  it.each(rows)('$name', ({ prev, dt, sample, ok, expected }) => {
    const strategy = peakEwma({ decay: tau, defaultLatency: 30 });
    const l = load(prev, 0);
    strategy.observe!(l, { ok, latencyMs: sample }, dt);
    expect(l.latencyMs).toBeCloseTo(expected, 9);
    expect(l.latencyAt).toBe(dt);
  });
});

describe('peakEwma picker', () => {
  it('prefers the faster instance', () => {
    const clock = new ManualClock(0);
    const list = [instance('fast'), instance('slow')];
    const picker = peakEwma({ random: mulberry32(1) }).build(inputOf(list, { clock, loads: [load(5), load(50)] }));
    for (let k = 0; k < 10; k++) expect(picker.pick()?.id).toBe('fast');
  });

  it('weighs latency against load: 5 ms with 20 in flight loses to 50 ms idle', () => {
    const clock = new ManualClock(0);
    const list = [instance('fast'), instance('slow')];
    const picker = peakEwma({ random: mulberry32(1) }).build(inputOf(list, { clock, loads: [load(5, 0, 20), load(50)] }));
    expect(picker.pick()?.id).toBe('slow');
  });

  it('gives an idle new instance its first call even when the others are much faster (no starvation)', () => {
    const clock = new ManualClock(0);
    const list = [instance('a'), instance('b'), instance('new')];
    const fresh = { inflight: 0, latencyMs: Number.NaN, latencyAt: 0 };
    const picker = peakEwma({ random: mulberry32(3), defaultLatency: '30ms' }).build(
      inputOf(list, { clock, loads: [load(1), load(1), fresh] }),
    );
    const picks = Array.from({ length: 20 }, () => picker.pick()?.id);
    expect(picks).toContain('new');
  });

  it('avoids a new instance while its first call is still out', () => {
    const clock = new ManualClock(0);
    const list = [instance('known'), instance('new')];
    const probing = { inflight: 1, latencyMs: Number.NaN, latencyAt: 0 };
    const picker = peakEwma({ random: mulberry32(1), defaultLatency: '30ms' }).build(inputOf(list, { clock, loads: [load(40), probing] }));
    for (let k = 0; k < 10; k++) expect(picker.pick()?.id).toBe('known');
  });

  it('uses the default latency for an instance without samples', () => {
    const clock = new ManualClock(0);
    const list = [instance('new'), instance('known')];
    const fresh = { inflight: 0, latencyMs: Number.NaN, latencyAt: 0 };
    const picker = peakEwma({ random: mulberry32(1), defaultLatency: '30ms' }).build(inputOf(list, { clock, loads: [fresh, load(40)] }));
    expect(picker.pick()?.id).toBe('new');
  });

  it('decays a stale estimate with time, so a once-slow instance is tried again', () => {
    const list = [instance('was-slow'), instance('steady')];
    const loads = [load(500, 0), load(20, 0)];
    const input = inputOf(list, { loads, pool: { inflight: 0, observedAt: 0 } });
    const picker = peakEwma({ random: mulberry32(1), decay: '1s' }).build(input);
    expect(picker.pick()?.id).toBe('steady');
    // steady keeps getting fresh 20 ms samples; was-slow gets none and decays: 500·e^(-t/1s) < 20 after ~3.3 s.
    input.pool.observedAt = 4000; // the balancer's latest event (a finished call)
    loads[1]!.latencyAt = 4000;
    expect(picker.pick()?.id).toBe('was-slow');
  });

  it('reads the time the balancer saw last, not the clock (no clock read per pick)', () => {
    const clock = new ManualClock(0);
    let reads = 0;
    const counting = {
      now: () => {
        reads++;
        return clock.now();
      },
      setTimeout: clock.setTimeout.bind(clock),
      clearTimeout: clock.clearTimeout.bind(clock),
    };
    const picker = peakEwma().build(inputOf(instances(5), { clock: counting }));
    reads = 0;
    for (let k = 0; k < 100; k++) picker.pick();
    expect(reads).toBe(0);
  });

  it('sends most traffic away from one slow instance of five', () => {
    const clock = new ManualClock(0);
    const list = instances(5);
    const loads = list.map((_, i) => load(i === 2 ? 200 : 10));
    const picker = peakEwma({ random: mulberry32(9) }).build(inputOf(list, { clock, loads }));
    const counts = histogram(() => picker.pick(), 50_000);
    expect(counts.get('i2') ?? 0).toBe(0);
    for (const id of ['i0', 'i1', 'i3', 'i4']) expect(counts.get(id)! / 50_000).toBeCloseTo(0.25, 1);
  });

  it.each([
    { options: { decay: 0 }, field: 'peakEwma.decay' },
    { options: { decay: 'soon' }, field: 'peakEwma.decay' },
    { options: { defaultLatency: -1 }, field: 'peakEwma.defaultLatency' },
  ])('rejects $field = $options', ({ options, field }) => {
    expect(() => peakEwma(options as never)).toThrow(expect.objectContaining({ field }));
  });
});
