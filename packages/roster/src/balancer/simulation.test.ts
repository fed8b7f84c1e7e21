/**
 * A discrete-event simulation on the manual clock: requests at a steady rate to five instances,
 * one of them slow; every call goes through a real balancer (pick, start, finish). Shows what
 * each strategy does to the callers' tail latency (the issue's "one slow instance of five").
 */
import { describe, expect, it } from 'vitest';
import type { Instance } from '../model.js';
import type { Strategy } from './balancer.js';
import { createBalancer } from './create-balancer.js';
import { leastRequest } from './least-request.js';
import { mulberry32 } from './mulberry32.js';
import { peakEwma } from './peak-ewma.js';
import { roundRobin } from './round-robin.js';
import { instances, ManualClock } from './test-support.js';

interface Result {
  p50: number;
  p99: number;
  slowShare: number;
}

/** `requests` calls, one every `gapMs`; instance i0 answers in `slowMs`, the others in ~`fastMs`. */
function simulate(strategy: Strategy, requests = 20_000, gapMs = 1, fastMs = 5, slowMs = 200): Result {
  const clock = new ManualClock(0);
  const balancer = createBalancer({ clock, strategy, outlierEjection: false });
  const list = instances(5);
  balancer.update(list);
  const jitter = mulberry32(99);
  const pending: { at: number; instance: Instance; latency: number }[] = [];
  const latencies: number[] = [];
  let slow = 0;
  for (let k = 0; k < requests; k++) {
    const now = k * gapMs;
    // Finish every call due by now, in time order.
    pending.sort((a, b) => a.at - b.at);
    while (pending.length > 0 && pending[0]!.at <= now) {
      const done = pending.shift()!;
      clock.advance(done.at - clock.now());
      balancer.finish(done.instance, { ok: true, latencyMs: done.latency });
    }
    clock.advance(now - clock.now());
    const instance = balancer.picker.pick()!;
    const latency = instance === list[0] ? slowMs : fastMs * (0.8 + 0.4 * jitter());
    if (instance === list[0]) slow++;
    balancer.start(instance);
    pending.push({ at: now + latency, instance, latency });
    latencies.push(latency);
  }
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return { p50: at(0.5), p99: at(0.99), slowShare: slow / requests };
}

describe('simulation: one slow instance of five', () => {
  const rr = simulate(roundRobin({ random: () => 0 }));
  const rows = [
    { name: 'peakEwma', strategy: peakEwma({ random: mulberry32(1) }), maxP99Ratio: 0.2, maxSlowShare: 0.01 },
    { name: 'leastRequest', strategy: leastRequest({ random: mulberry32(1) }), maxP99Ratio: 1, maxSlowShare: 0.05 },
  ];

  it('round robin sends a fifth of the calls to the slow instance', () => {
    expect(rr.slowShare).toBeCloseTo(0.2, 3);
    expect(rr.p99).toBe(200);
  });

  it.each(rows)('$name: p99 ≤ $maxP99Ratio × round robin, slow share ≤ $maxSlowShare', ({ strategy, maxP99Ratio, maxSlowShare }) => {
    const result = simulate(strategy);
    expect(result.p99).toBeLessThanOrEqual(maxP99Ratio * rr.p99);
    expect(result.slowShare).toBeLessThanOrEqual(maxSlowShare);
  });
});
