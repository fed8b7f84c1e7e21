/** PendingPicks: a pick counts as in flight until its call starts, or the next macrotask at the latest. */
import { describe, expect, it } from 'vitest';
import type { InstanceLoad, Picker, PickerInput } from '../balancer/balancer.js';
import type { Instance } from '../model.js';
import { PendingPicks, withPendingPicks } from './pending-picks.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('PendingPicks', () => {
  it('counts a pick until its call starts', () => {
    const pending = new PendingPicks();
    const a = pending.add('a');
    pending.add('a');
    expect(pending.counter('a').n).toBe(2);
    pending.started(a);
    pending.started(a); // idempotent
    expect(pending.counter('a').n).toBe(1);
  });

  it('forgets picks whose call never started at the next macrotask', async () => {
    const pending = new PendingPicks();
    pending.add('a');
    pending.add('b');
    await tick();
    expect([pending.counter('a').n, pending.counter('b').n]).toEqual([0, 0]);
    const late = pending.add('a');
    await tick();
    pending.started(late); // started after the flush: not counted twice
    expect(pending.counter('a').n).toBe(0);
  });

  it('withPendingPicks: the picker sees inflight + pending, the strategy still observes the real load', () => {
    const pending = new PendingPicks();
    let seen: readonly InstanceLoad[] = [];
    const observed: InstanceLoad[] = [];
    const strategy = withPendingPicks(
      {
        name: 'probe',
        build: (input: PickerInput): Picker => {
          seen = input.loads;
          return { instances: input.instances, pick: () => input.instances[0] };
        },
        observe: (load) => observed.push(load),
      },
      pending,
    );
    const instance = { id: 'a' } as Instance;
    const load: InstanceLoad = { inflight: 2, latencyMs: 5, latencyAt: 7 };
    strategy.build({ instances: [instance], weights: [1], loads: [load], all: [instance] } as unknown as PickerInput);
    pending.add('a');
    expect(seen[0]).toMatchObject({ inflight: 3, latencyMs: 5, latencyAt: 7 });
    load.inflight = 4;
    expect(seen[0]!.inflight).toBe(5);
    strategy.observe!(load, { ok: true, latencyMs: 1 }, 0);
    expect(observed).toEqual([load]);
    expect(strategy.name).toBe('probe');
  });
});
