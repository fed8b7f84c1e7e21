import { describe, expect, it } from 'vitest';
import type { HealthStatus } from '../model.js';
import { CriticalTracker } from './critical-tracker.js';

type Step = [at: number, check: string, status: HealthStatus, afterMs: number];

const cases: { name: string; steps: Step[]; at: number; due: string[]; next: number | undefined; since?: [string, number | undefined] }[] =
  [
    { name: 'nothing observed', steps: [], at: 1e9, due: [], next: undefined },
    {
      name: 'initial critical counts from registration',
      steps: [[0, 'a', 'critical', 60_000]],
      at: 60_000,
      due: ['a'],
      next: 60_000,
      since: ['a', 0],
    },
    { name: 'not yet due one ms before', steps: [[0, 'a', 'critical', 60_000]], at: 59_999, due: [], next: 60_000 },
    {
      name: 'staying critical keeps the first since',
      steps: [
        [0, 'a', 'critical', 60_000],
        [30_000, 'a', 'critical', 60_000],
      ],
      at: 60_000,
      due: ['a'],
      next: 60_000,
      since: ['a', 0],
    },
    {
      name: 'passing resets the clock',
      steps: [
        [0, 'a', 'critical', 60_000],
        [50_000, 'a', 'passing', 60_000],
        [55_000, 'a', 'critical', 60_000],
      ],
      at: 100_000,
      due: [],
      next: 115_000,
      since: ['a', 55_000],
    },
    {
      name: 'warning is not critical',
      steps: [
        [0, 'a', 'critical', 1_000],
        [500, 'a', 'warning', 1_000],
      ],
      at: 1e9,
      due: [],
      next: undefined,
      since: ['a', undefined],
    },
    { name: 'afterMs 0 never falls due', steps: [[0, 'a', 'critical', 0]], at: 1e12, due: [], next: undefined, since: ['a', 0] },
    {
      name: 'a changed afterMs applies to the running period',
      steps: [
        [0, 'a', 'critical', 60_000],
        [10_000, 'a', 'critical', 20_000],
      ],
      at: 20_000,
      due: ['a'],
      next: 20_000,
    },
    {
      name: 'longest overdue first, each by its own afterMs',
      steps: [
        [0, 'slow', 'critical', 90_000],
        [10_000, 'fast', 'critical', 10_000],
        [20_000, 'mid', 'critical', 50_000],
        [30_000, 'later', 'critical', 100_000],
      ],
      at: 90_000,
      due: ['fast', 'mid', 'slow'],
      next: 20_000,
    },
  ];

describe('CriticalTracker', () => {
  it.each(cases)('$name', ({ steps, at, due, next, since }) => {
    const tracker = new CriticalTracker();
    for (const [now, id, status, afterMs] of steps) tracker.observe(id, status, now, afterMs);
    expect(tracker.due(at)).toEqual(due);
    expect(tracker.nextDueAt()).toBe(next);
    if (since) expect(tracker.criticalSince(since[0])).toBe(since[1]);
  });

  it('forgets checks, and holds only critical ones', () => {
    const tracker = new CriticalTracker();
    tracker.observe('a', 'critical', 0, 1_000);
    tracker.observe('b', 'critical', 0, 1_000);
    tracker.observe('c', 'passing', 0, 1_000);
    expect(tracker.due(5_000)).toEqual(['a', 'b']);
    expect(tracker.criticalSince('c')).toBeUndefined();
    tracker.forget('a');
    expect(tracker.due(5_000)).toEqual(['b']);
    expect(tracker.criticalSince('a')).toBeUndefined();
  });
});
