import { describe, expect, it } from 'vitest';
import type { CallOutcome } from './balancer.js';
import { outlierEjection } from './outlier-ejection.js';

const ok: CallOutcome = { ok: true, latencyMs: 1 };
const e500: CallOutcome = { ok: false, latencyMs: 1, status: 500 };
const e503: CallOutcome = { ok: false, latencyMs: 1, status: 503 };
const e502: CallOutcome = { ok: false, latencyMs: 1, status: 502 };
const e504: CallOutcome = { ok: false, latencyMs: 1, status: 504 };
const refused: CallOutcome = { ok: false, latencyMs: 1 };

describe('outlierEjection.record', () => {
  const rows = [
    { name: '5 failures in a row eject', outcomes: [e500, e500, e500, e500, e500], eject: [false, false, false, false, true] },
    {
      name: 'a success resets the count',
      outcomes: [e500, e500, e500, e500, ok, e500, e500],
      eject: [false, false, false, false, false, false, false],
    },
    { name: '3 gateway errors in a row eject', outcomes: [e503, e502, e504], eject: [false, false, true] },
    { name: 'no response counts as a gateway error', outcomes: [refused, refused, refused], eject: [false, false, true] },
    {
      name: 'a 500 breaks a gateway run but counts as a failure',
      outcomes: [e503, e503, e500, e503, e503],
      eject: [false, false, false, false, true],
    },
    {
      name: 'ok with a 503 status is a success (the caller decides)',
      outcomes: [e503, e503, { ...e503, ok: true }, e503],
      eject: [false, false, false, false],
    },
  ];
  it.each(rows)('$name', ({ outcomes, eject }) => {
    const policy = outlierEjection();
    const state = policy.newState();
    expect(outcomes.map((o) => policy.record(state, o))).toEqual(eject);
  });

  it.each([
    { options: { consecutiveFailures: 0 }, outcomes: Array(10).fill(e500), ejectAt: -1 },
    { options: { consecutiveGatewayErrors: 0 }, outcomes: Array(5).fill(e503), ejectAt: 4 },
    { options: { consecutiveFailures: 2, consecutiveGatewayErrors: 0 }, outcomes: [e503, e503], ejectAt: 1 },
    { options: { consecutiveGatewayErrors: 1 }, outcomes: [e500, refused], ejectAt: 1 },
  ])('thresholds $options', ({ options, outcomes, ejectAt }) => {
    const policy = outlierEjection(options);
    const state = policy.newState();
    expect(outcomes.map((o: CallOutcome) => policy.record(state, o)).indexOf(true)).toBe(ejectAt);
  });
});

describe('outlierEjection.eject', () => {
  it('ejects for base × times, capped at the max', () => {
    const policy = outlierEjection({ baseEjectionTime: '30s', maxEjectionTime: '100s' });
    const state = policy.newState();
    const durations: number[] = [];
    let now = 0;
    for (let k = 0; k < 5; k++) {
      const until = policy.eject(state, now);
      durations.push(until - now);
      now = until;
      policy.uneject(state, now); // fails again right after coming back
    }
    expect(durations).toEqual([30_000, 60_000, 90_000, 100_000, 100_000]);
  });

  it('lets the multiplier decay by one per base ejection time spent healthy', () => {
    const policy = outlierEjection({ baseEjectionTime: 10_000 });
    const state = policy.newState();
    policy.eject(state, 0); // ×1 → until 10 s
    policy.uneject(state, 10_000);
    policy.eject(state, 10_000); // ×2 → until 30 s
    policy.uneject(state, 30_000);
    // 25 s healthy: two periods, multiplier 2 → 0, this ejection is a first again
    expect(policy.eject(state, 55_000)).toBe(65_000);
    expect(state.times).toBe(1);
  });

  it('uneject clears the counts', () => {
    const policy = outlierEjection();
    const state = policy.newState();
    for (let k = 0; k < 4; k++) policy.record(state, e500);
    policy.eject(state, 0);
    policy.uneject(state, 1);
    expect(state).toMatchObject({ consecutiveFailures: 0, consecutiveGatewayErrors: 0, ejectedUntil: 0, unejectedAt: 1, times: 1 });
  });
});

describe('outlierEjection.maxEjected', () => {
  const rows = [
    { percent: 50, candidates: 0, max: 0 },
    { percent: 50, candidates: 1, max: 0 },
    { percent: 50, candidates: 2, max: 1 },
    { percent: 50, candidates: 5, max: 2 },
    { percent: 10, candidates: 5, max: 1 },
    { percent: 10, candidates: 30, max: 3 },
    { percent: 100, candidates: 4, max: 3 },
    { percent: 0, candidates: 10, max: 0 },
  ];
  it.each(rows)('$percent % of $candidates → $max (at least one, never all)', ({ percent, candidates, max }) => {
    expect(outlierEjection({ maxEjectionPercent: percent }).maxEjected(candidates)).toBe(max);
  });
});

describe('outlierEjection options', () => {
  it.each([
    { options: { consecutiveFailures: -1 }, field: 'outlierEjection.consecutiveFailures' },
    { options: { consecutiveFailures: 2.5 }, field: 'outlierEjection.consecutiveFailures' },
    { options: { consecutiveGatewayErrors: '3' }, field: 'outlierEjection.consecutiveGatewayErrors' },
    { options: { baseEjectionTime: 0 }, field: 'outlierEjection.baseEjectionTime' },
    { options: { baseEjectionTime: '10 sec' }, field: 'outlierEjection.baseEjectionTime' },
    { options: { maxEjectionTime: -5 }, field: 'outlierEjection.maxEjectionTime' },
    { options: { maxEjectionPercent: 101 }, field: 'outlierEjection.maxEjectionPercent' },
    { options: 'strict', field: 'outlierEjection' },
  ])('rejects $field = $options', ({ options, field }) => {
    expect(() => outlierEjection(options as never)).toThrow(expect.objectContaining({ field, code: 'ROSTER_ERR_INVALID_ARGUMENT' }));
  });

  it('accepts Go duration strings and raises max to at least base', () => {
    const policy = outlierEjection({ baseEjectionTime: '1m', maxEjectionTime: '10s' });
    expect(policy.baseEjectionTimeMs).toBe(60_000);
    expect(policy.maxEjectionTimeMs).toBe(60_000);
  });
});
