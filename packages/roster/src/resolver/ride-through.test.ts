/**
 * The ride-through rule, table-driven on a fake time line: each row is a sequence of steps
 * (a fault, a snapshot offered at time t with the expected verdict, an expiry check at t).
 * The harness keeps the "published" list the way the Resolver does.
 */
import { describe, expect, it } from 'vitest';
import { type Membership, RIDE_THROUGH_DEFAULTS, RideThrough, type RideThroughSettings } from './ride-through.js';

/** `'a b c!'`: instances a, b (passing) and c (critical, the `!`). */
function list(spec: string): Membership {
  return {
    instances: spec
      .split(' ')
      .filter((s) => s !== '')
      .map((s) => ({ id: s.replace('!', ''), health: s.endsWith('!') ? 'critical' : 'passing' })),
  };
}

type Step =
  | readonly ['fault']
  /** Offer a snapshot at t: expect `publish`, or `hold` until the given time. */
  | readonly ['offer', number, string, 'publish' | number]
  /** Expiry check at t: expect whether the held snapshot is published now. */
  | readonly ['expire', number, boolean];

interface Row {
  readonly name: string;
  readonly settings?: Partial<RideThroughSettings>;
  readonly steps: readonly Step[];
  /** The published list at the end. */
  readonly published: string;
}

const rows: Row[] = [
  {
    name: 'healthy watch: a deregistration of everything is published at once',
    steps: [
      ['offer', 0, 'a b', 'publish'],
      ['offer', 10, '', 'publish'],
    ],
    published: '',
  },
  {
    name: 'empty restart: the empty list is held, the instances coming back are published',
    steps: [
      ['offer', 0, 'a b c', 'publish'],
      ['fault'],
      ['offer', 1000, '', 6000],
      ['expire', 1500, false],
      ['offer', 1600, 'a', 6000], // one of three back: most still gone, still held
      ['offer', 1700, 'a b c', 'publish'],
      ['expire', 6000, false],
    ],
    published: 'a b c',
  },
  {
    name: 'after a fault, losing exactly half is believed (maxDrop 0.5: more than half is suspicious)',
    steps: [['offer', 0, 'a b', 'publish'], ['fault'], ['offer', 100, 'a', 'publish']],
    published: 'a',
  },
  {
    name: 'empty confirmed: still empty when the grace ends, the newest held list is published',
    steps: [
      ['offer', 0, 'a b c', 'publish'],
      ['fault'],
      ['offer', 200, '', 5200],
      ['offer', 3000, 'x', 5200], // a stranger joined, still most of ours gone: the grace does not restart
      ['expire', 5199, false],
      ['expire', 5200, true],
      ['offer', 5300, '', 'publish'], // back to normal: no fault since
    ],
    published: '',
  },
  {
    name: 'most instances gone at once after a fault (3 of 4) is held',
    steps: [['offer', 0, 'a b c d', 'publish'], ['fault'], ['offer', 50, 'a', 5050], ['offer', 400, 'a b c', 'publish']],
    published: 'a b c',
  },
  {
    name: 'instances turned critical count as gone (a registry whose checks restarted)',
    steps: [['offer', 0, 'a b', 'publish'], ['fault'], ['offer', 10, 'a! b!', 5010], ['offer', 900, 'a b', 'publish']],
    published: 'a b',
  },
  {
    name: 'the first snapshot after a fault that keeps the list ends the suspicion; a later drain is instant',
    steps: [['offer', 0, 'a b', 'publish'], ['fault'], ['offer', 100, 'a b', 'publish'], ['offer', 200, '', 'publish']],
    published: '',
  },
  {
    name: 'nothing usable before: nothing to protect, published at once',
    steps: [['offer', 0, 'a! b!', 'publish'], ['fault'], ['offer', 10, '', 'publish']],
    published: '',
  },
  {
    name: 'first snapshot ever after a fault (cold start from disk failed): published',
    steps: [['fault'], ['offer', 0, '', 'publish']],
    published: '',
  },
  {
    name: 'several faults while holding do not extend the grace',
    steps: [
      ['offer', 0, 'a b', 'publish'],
      ['fault'],
      ['offer', 100, '', 5100],
      ['fault'],
      ['offer', 4000, '', 5100],
      ['expire', 5100, true],
    ],
    published: '',
  },
  {
    name: 'graceMs 0 turns the rule off',
    settings: { graceMs: 0 },
    steps: [['offer', 0, 'a b', 'publish'], ['fault'], ['offer', 10, '', 'publish'], ['expire', 10, false]],
    published: '',
  },
  {
    name: 'maxDrop 0: after a fault any loss is held',
    settings: { maxDrop: 0, graceMs: 1000 },
    steps: [['offer', 0, 'a b c', 'publish'], ['fault'], ['offer', 10, 'a b', 1010], ['expire', 1010, true]],
    published: 'a b',
  },
  {
    name: 'maxDrop 1: after a fault even an empty list is believed',
    settings: { maxDrop: 1 },
    steps: [['offer', 0, 'a b', 'publish'], ['fault'], ['offer', 10, '', 'publish']],
    published: '',
  },
];

describe('RideThrough', () => {
  it.each(rows)('$name', (row) => {
    const rule = new RideThrough({ ...RIDE_THROUGH_DEFAULTS, ...row.settings });
    let published: Membership | undefined;
    let held: Membership | undefined;
    row.steps.forEach((step, n) => {
      const where = `step ${n} ${JSON.stringify(step)}`;
      if (step[0] === 'fault') rule.fault();
      else if (step[0] === 'offer') {
        const [, t, spec, expected] = step;
        const verdict = rule.offer(published, list(spec), t);
        expect(verdict, where).toEqual(expected === 'publish' ? { action: 'publish' } : { action: 'hold', until: expected });
        if (verdict.action === 'publish') {
          published = list(spec);
          held = undefined;
        } else held = list(spec);
        expect(rule.holding, where).toBe(verdict.action === 'hold');
      } else {
        const [, t, expected] = step;
        expect(rule.expire(t), where).toBe(expected);
        if (expected) {
          published = held;
          held = undefined;
        }
      }
    });
    expect(published?.instances.map((i) => i.id + (i.health === 'critical' ? '!' : '')).join(' ')).toBe(row.published);
  });

  it('defaults: 5 s of grace, more than half lost is suspicious', () => {
    expect(RIDE_THROUGH_DEFAULTS).toEqual({ graceMs: 5000, maxDrop: 0.5 });
  });
});
