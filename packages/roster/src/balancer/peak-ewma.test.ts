import { describe, expect, it } from 'vitest';
import type { InstanceLoad } from './balancer.js';
import { mulberry32 } from './mulberry32.js';
import { peakEwma } from './peak-ewma.js';
import { histogram, inputOf, instance, instances, ManualClock } from './test-support.js';

const load = (latencyMs: number, at = 0, inflight = 0): InstanceLoad => ({ inflight, latencyMs, latencyAt: at });

describe('peakEwma observe (the estimate)', () => {
  const tau = 10_000;
  type Sample = readonly [at: number, ms: number, ok?: boolean];
  const rows: { name: string; prev: number; samples: readonly Sample[]; expected: number }[] = [
    {
      name: 'the first three successful samples are not used (connection setup)',
      prev: NaN,
      samples: [
        [0, 40],
        [50, 5],
        [100, 20],
      ],
      expected: NaN,
    },
    {
      name: 'the fourth sample sets it to the fastest of the four',
      prev: NaN,
      samples: [
        [0, 40],
        [50, 5],
        [100, 20],
        [150, 30],
      ],
      expected: 5,
    },
    { name: 'a first failure counts as the default latency at least', prev: NaN, samples: [[0, 1, false]], expected: 30 },
    { name: 'a single slower sample moves it 10 % of the way', prev: 10, samples: [[0, 100]], expected: 19 },
    { name: 'a single outlier at most doubles it', prev: 10, samples: [[0, 1000]], expected: 20 },
    {
      name: 'a slower sample confirmed by the two before it (each called after the other) is taken at once (peak)',
      prev: 10,
      samples: [
        [200, 100],
        [400, 100],
        [600, 100],
      ],
      expected: 100,
    },
    {
      // A scheduling stall can hit two calls in a row on a loaded machine (D141): not a verdict yet.
      name: 'two slow samples in a row are two outliers, not a peak',
      prev: 10,
      samples: [
        [200, 100],
        [400, 100],
      ],
      // each moves it 10 % of the way (after 200 ms of decay): 10 → 18.8 → 26.6, far below 100
      expected: (10 * Math.exp(-0.02) * 0.9 + 10) * Math.exp(-0.02) * 0.9 + 10,
    },
    {
      name: 'overlapping slow samples (one burst) do not confirm each other',
      prev: 10,
      samples: [
        [200, 100],
        [250, 100],
      ],
      expected: 26.85512260016364,
    },
    { name: 'a faster sample moves it at least 20 % of the way', prev: 100, samples: [[0, 90]], expected: 98 },
    { name: 'a much faster sample (by more than 1.3×) goes half way at once', prev: 100, samples: [[0, 10]], expected: 55 },
    {
      name: 'a faster sample after τ moves 1 − 1/e of the way from the decayed estimate',
      prev: 100,
      samples: [[tau, 30]],
      expected: 32.497145088518,
    },
    { name: 'a fast failure never lowers it, not even by the decay', prev: 100, samples: [[tau, 1, false]], expected: 100 },
  ];
  it.each(rows)('$name', ({ prev, samples, expected }) => {
    const strategy = peakEwma({ decay: tau, defaultLatency: 30 });
    const l = load(prev, 0);
    for (const [at, ms, ok = true] of samples) strategy.observe!(l, { ok, latencyMs: ms }, at);
    if (Number.isNaN(expected)) expect(l.latencyMs).toBeNaN();
    else expect(l.latencyMs).toBeCloseTo(expected, 9);
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
