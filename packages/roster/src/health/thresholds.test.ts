import { describe, expect, it } from 'vitest';
import type { HealthStatus } from '../model.js';
import { Thresholds } from './thresholds.js';

const P: HealthStatus = 'passing';
const W: HealthStatus = 'warning';
const C: HealthStatus = 'critical';

interface Row {
  name: string;
  /** [successBeforePassing, failuresBeforeWarning, failuresBeforeCritical] */
  t: [number, number, number];
  initial: HealthStatus;
  raw: HealthStatus[];
  effective: HealthStatus[];
}

const rows: Row[] = [
  { name: 'no thresholds: every result at once', t: [0, 0, 0], initial: C, raw: [P, C, W, P, C], effective: [P, C, W, P, C] },
  { name: '1 behaves like 0', t: [1, 1, 1], initial: C, raw: [P, C, P, W], effective: [P, C, P, W] },
  { name: 'successBeforePassing 3 from critical', t: [3, 0, 0], initial: C, raw: [P, P, P, P], effective: [C, C, P, P] },
  { name: 'a failure resets the success count', t: [3, 0, 0], initial: C, raw: [P, P, C, P, P, P], effective: [C, C, C, C, C, P] },
  { name: 'a warning resets the success count', t: [2, 0, 0], initial: C, raw: [P, W, P, P], effective: [C, W, W, P] },
  { name: 'passing stays passing while counting', t: [3, 0, 0], initial: P, raw: [P, P], effective: [P, P] },
  {
    name: 'failuresBeforeCritical 3 (warning defaults to same)',
    t: [0, 3, 3],
    initial: P,
    raw: [C, C, C, C],
    effective: [P, P, C, C],
  },
  { name: 'warning after 1, critical after 3', t: [0, 1, 3], initial: P, raw: [C, C, C, C], effective: [W, W, C, C] },
  { name: 'warning at once (0), critical after 2', t: [0, 0, 2], initial: P, raw: [C, C], effective: [W, C] },
  { name: 'a success resets the failure count', t: [0, 2, 3], initial: P, raw: [C, C, P, C, C, C], effective: [P, W, P, P, W, C] },
  { name: 'a warning resets the failure count', t: [0, 3, 3], initial: P, raw: [C, C, W, C, C, C], effective: [P, P, W, W, W, C] },
  { name: 'warning result is taken as-is despite thresholds', t: [5, 5, 5], initial: P, raw: [W], effective: [W] },
  {
    name: 'both thresholds: flapping never leaves critical',
    t: [2, 2, 2],
    initial: C,
    raw: [P, C, P, C, P, P],
    effective: [C, C, C, C, C, P],
  },
  {
    name: 'both thresholds: flapping never leaves passing',
    t: [2, 2, 2],
    initial: P,
    raw: [C, P, C, P, C, C],
    effective: [P, P, P, P, P, C],
  },
  { name: 'initial warning waits for passing threshold', t: [2, 0, 0], initial: W, raw: [P, P], effective: [W, P] },
  {
    name: 'long failure runs stay critical (count capped)',
    t: [0, 1, 2],
    initial: P,
    raw: [C, C, C, C, C, P],
    effective: [W, C, C, C, C, P],
  },
];

describe('Thresholds', () => {
  it.each(rows)('$name', ({ t, initial, raw, effective }) => {
    const th = new Thresholds({ successBeforePassing: t[0], failuresBeforeWarning: t[1], failuresBeforeCritical: t[2] }, initial);
    expect(th.status).toBe(initial);
    const seen = raw.map((r) => th.observe(r));
    expect(seen).toEqual(effective);
    expect(th.status).toBe(effective.at(-1));
  });

  it.each([
    [{ successBeforePassing: -1, failuresBeforeWarning: 0, failuresBeforeCritical: 0 }, 'successBeforePassing'],
    [{ successBeforePassing: 0, failuresBeforeWarning: 1.5, failuresBeforeCritical: 2 }, 'failuresBeforeWarning'],
    [{ successBeforePassing: 0, failuresBeforeWarning: 0, failuresBeforeCritical: Number.NaN }, 'failuresBeforeCritical'],
    [{ successBeforePassing: 0, failuresBeforeWarning: 3, failuresBeforeCritical: 2 }, 'failuresBeforeWarning'],
  ])('rejects bad options %o naming %s', (opts, field) => {
    expect(() => new Thresholds(opts, 'critical')).toThrow(expect.objectContaining({ code: 'ROSTER_ERR_INVALID_ARGUMENT', field }));
  });
});
