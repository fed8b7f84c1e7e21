import { describe, expect, it } from 'vitest';
import type { HealthStatus, Instance } from '../model.js';
import type { BalancerEvent, CallOutcome, Picker, PickerInput, Strategy } from './balancer.js';
import { createBalancer } from './create-balancer.js';
import { outlierEjection } from './outlier-ejection.js';
import { roundRobin } from './round-robin.js';
import { slowStart } from './slow-start.js';
import { instance, instances, ManualClock } from './test-support.js';

const fail: CallOutcome = { ok: false, latencyMs: 5, status: 500 };
const success: CallOutcome = { ok: true, latencyMs: 5 };

/** A strategy that records what it was given and picks round robin from the start. */
function spy(): Strategy & { inputs: PickerInput[]; observed: number } {
  const rr = roundRobin({ random: () => 0 });
  const s = {
    name: 'spy',
    inputs: [] as PickerInput[],
    observed: 0,
    build(input: PickerInput): Picker {
      s.inputs.push(input);
      return rr.build(input);
    },
    observe() {
      s.observed++;
    },
  };
  return s;
}

const ids = (picker: Picker) => picker.instances.map((i) => i.id);
const withHealth = (health: HealthStatus[]) => health.map((h, i) => instance(`i${i}`, { health: h }));

/** Fails `instance`'s calls until the balancer ejects it (or `max` calls). */
function failUntilEjected(balancer: ReturnType<typeof createBalancer>, target: Instance, max = 10): void {
  for (let k = 0; k < max && balancer.picker.instances.includes(target); k++) {
    balancer.start(target);
    balancer.finish(target, fail);
  }
}

describe('createBalancer: health filter', () => {
  const rows: { name: string; health: HealthStatus[]; quorum?: number; offered: string[] }[] = [
    { name: 'all passing', health: ['passing', 'passing'], offered: ['i0', 'i1'] },
    { name: 'critical is never offered', health: ['passing', 'critical', 'passing'], offered: ['i0', 'i2'] },
    { name: 'all critical: nothing', health: ['critical', 'critical'], offered: [] },
    { name: 'enough passing: warning left out', health: ['passing', 'passing', 'warning'], offered: ['i0', 'i1'] },
    { name: 'half passing is enough (quorum 0.5)', health: ['passing', 'warning'], offered: ['i0'] },
    { name: 'too few passing: warning joins', health: ['passing', 'warning', 'warning'], offered: ['i0', 'i1', 'i2'] },
    { name: 'only warning: warning used', health: ['warning', 'critical'], offered: ['i0'] },
    { name: 'quorum 1: warning always used', health: ['passing', 'passing', 'warning'], quorum: 1, offered: ['i0', 'i1', 'i2'] },
    { name: 'quorum 0: warning only without passing', health: ['passing', 'warning', 'warning'], quorum: 0, offered: ['i0'] },
  ];
  it.each(rows)('$name', ({ health, quorum, offered }) => {
    const balancer = createBalancer({ passingQuorum: quorum, clock: new ManualClock() });
    balancer.update(withHealth(health));
    expect(ids(balancer.picker)).toEqual(offered);
    if (offered.length === 0) expect(balancer.picker.pick()).toBeUndefined();
  });
});

describe('createBalancer: pickers and loads', () => {
  it('publishes a new picker on every update, to subscribers until they unsubscribe', () => {
    const balancer = createBalancer({ clock: new ManualClock() });
    const seen: Picker[] = [];
    const off = balancer.subscribe((p) => seen.push(p));
    expect(balancer.picker.pick()).toBeUndefined();
    balancer.update(instances(2));
    balancer.update(instances(3));
    expect(seen).toHaveLength(2);
    expect(seen[1]).toBe(balancer.picker);
    expect(ids(balancer.picker)).toHaveLength(3);
    off();
    balancer.update(instances(1));
    expect(seen).toHaveLength(2);
  });

  it('counts calls in flight per instance and for the pool, keeping loads across updates', () => {
    const strategy = spy();
    const balancer = createBalancer({ strategy, clock: new ManualClock() });
    const [a, b] = instances(2);
    balancer.update([a!, b!]);
    balancer.start(a!);
    balancer.start(a!);
    balancer.start(b!);
    balancer.finish(a!, success);
    const first = strategy.inputs.at(-1)!;
    expect(first.loads.map((l) => l.inflight)).toEqual([1, 1]);
    expect(first.pool.inflight).toBe(2);
    balancer.update([{ ...a!, tags: ['new'] }]); // b removed, a changed
    const second = strategy.inputs.at(-1)!;
    expect(second.loads[0]).toBe(first.loads[0]); // same object, shared by reference
    expect(second.pool.inflight).toBe(1);
    balancer.finish(b!, success); // removed meanwhile: ignored
    balancer.finish(a!, success);
    balancer.finish(a!, success); // unpaired: never below zero
    expect(second.loads[0]!.inflight).toBe(0);
    expect(second.pool.inflight).toBe(0);
    expect(strategy.observed).toBe(3);
  });
});

describe('createBalancer: time for the pickers', () => {
  it('advances the pool time on updates, finished calls and timers', () => {
    const clock = new ManualClock(0);
    const strategy = spy();
    const balancer = createBalancer({ clock, strategy, slowStart: slowStart({ window: 1000 }) });
    const [a, b] = instances(2);
    balancer.update([a!]);
    const pool = strategy.inputs.at(-1)!.pool;
    expect(pool.observedAt).toBe(0);
    clock.advance(50);
    balancer.start(a!);
    expect(pool.observedAt).toBe(0); // start does not read the clock
    balancer.finish(a!, success);
    expect(pool.observedAt).toBe(50);
    balancer.update([a!, b!]);
    clock.advance(100); // a slow start step
    expect(pool.observedAt).toBe(150);
  });
});

describe('createBalancer: outlier ejection', () => {
  it('ejects after consecutive failures and brings the instance back after the ejection time', () => {
    const clock = new ManualClock();
    const balancer = createBalancer({ clock, outlierEjection: outlierEjection({ baseEjectionTime: '30s' }) });
    const events: BalancerEvent[] = [];
    balancer.onEvent((e) => events.push(e));
    const list = instances(4);
    balancer.update(list);
    failUntilEjected(balancer, list[1]!);
    expect(ids(balancer.picker)).toEqual(['i0', 'i2', 'i3']);
    expect(events).toEqual([{ type: 'ejected', instance: list[1], until: clock.now() + 30_000, times: 1 }]);
    clock.advance(29_999);
    expect(ids(balancer.picker)).toHaveLength(3);
    clock.advance(1);
    expect(ids(balancer.picker)).toEqual(['i0', 'i1', 'i2', 'i3']);
    expect(events.at(-1)).toEqual({ type: 'unejected', instance: list[1] });
    expect(clock.pending).toBe(0);
  });

  it('makes ejections longer when they repeat', () => {
    const clock = new ManualClock();
    const balancer = createBalancer({ clock, outlierEjection: outlierEjection({ baseEjectionTime: 1000, maxEjectionTime: 2500 }) });
    const until: number[] = [];
    balancer.onEvent((e) => e.type === 'ejected' && until.push(e.until - clock.now()));
    const list = instances(3);
    balancer.update(list);
    for (let round = 0; round < 4; round++) {
      failUntilEjected(balancer, list[0]!); // fails again as soon as it is back
      clock.advance(until.at(-1)!);
    }
    expect(until).toEqual([1000, 2000, 2500, 2500]);
    // Healthy for 3 base ejection times: the multiplier decays from 4 to 1; the next one is a second.
    clock.advance(3000);
    failUntilEjected(balancer, list[0]!);
    expect(until.at(-1)).toBe(2000);
  });

  it.each([
    { n: 1, failing: 1, percent: 100, ejected: 0 },
    { n: 2, failing: 2, percent: 100, ejected: 1 },
    { n: 5, failing: 5, percent: 50, ejected: 2 },
    { n: 5, failing: 5, percent: 10, ejected: 1 },
    { n: 10, failing: 10, percent: 100, ejected: 9 },
  ])('never empties the pool: $n instances all failing, max $percent % → $ejected ejected', ({ n, failing, percent, ejected }) => {
    const clock = new ManualClock();
    const balancer = createBalancer({ clock, outlierEjection: outlierEjection({ maxEjectionPercent: percent }) });
    const list = instances(n);
    balancer.update(list);
    for (let round = 0; round < 3; round++) for (const target of list.slice(0, failing)) failUntilEjected(balancer, target);
    expect(balancer.picker.instances).toHaveLength(n - ejected);
  });

  it('offers ejected instances again when health took away all the others', () => {
    const clock = new ManualClock();
    const balancer = createBalancer({ clock });
    const [a, b] = instances(2);
    balancer.update([a!, b!]);
    failUntilEjected(balancer, a!);
    expect(ids(balancer.picker)).toEqual([b!.id]);
    balancer.update([a!, { ...b!, health: 'critical' }]);
    expect(ids(balancer.picker)).toEqual([a!.id]);
  });

  it('ignores outcomes of calls that started before the ejection', () => {
    const clock = new ManualClock();
    const balancer = createBalancer({ clock, outlierEjection: outlierEjection({ consecutiveFailures: 2, baseEjectionTime: 1000 }) });
    const events: BalancerEvent[] = [];
    balancer.onEvent((e) => events.push(e));
    const list = instances(3);
    balancer.update(list);
    for (let k = 0; k < 5; k++) balancer.start(list[0]!);
    for (let k = 0; k < 5; k++) balancer.finish(list[0]!, fail);
    expect(events.map((e) => e.type)).toEqual(['ejected']);
  });

  it('can be turned off', () => {
    const balancer = createBalancer({ clock: new ManualClock(), outlierEjection: false });
    const list = instances(3);
    balancer.update(list);
    for (let k = 0; k < 50; k++) balancer.finish(list[0]!, fail);
    expect(balancer.picker.instances).toHaveLength(3);
  });
});

describe('createBalancer: slow start', () => {
  it('ramps the weight of a newly added instance over the window, on the clock', () => {
    const clock = new ManualClock();
    const strategy = spy();
    const balancer = createBalancer({ clock, strategy, slowStart: slowStart({ window: '10s' }) });
    const list = instances(3).map((i) => ({ ...i, weight: 10 }));
    balancer.update(list.slice(0, 2)); // the first list is not ramped
    expect(strategy.inputs.at(-1)!.weights).toEqual([10, 10]);
    expect(clock.pending).toBe(0);
    balancer.update(list);
    const weights = [strategy.inputs.at(-1)!.weights[2]];
    for (let k = 0; k < 12; k++) {
      clock.advance(1000);
      weights.push(strategy.inputs.at(-1)!.weights[2]);
    }
    expect(weights.map((w) => Math.round(w! * 10) / 10)).toEqual([1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 10]);
    expect(clock.pending).toBe(0); // no timer once the ramp is over
  });

  it('ramps an instance again when it comes back from critical', () => {
    const clock = new ManualClock();
    const strategy = spy();
    const balancer = createBalancer({ clock, strategy, slowStart: slowStart({ window: 1000, minWeightPercent: 20 }) });
    const [a, b] = instances(2);
    balancer.update([a!, b!]);
    balancer.update([a!, { ...b!, health: 'critical' }]);
    clock.advance(5000);
    balancer.update([a!, b!]);
    expect(strategy.inputs.at(-1)!.weights).toEqual([1, 0.2]);
  });
});

describe('createBalancer: lifecycle and options', () => {
  it('close stops the timers and later updates', () => {
    const clock = new ManualClock();
    const balancer = createBalancer({ clock, slowStart: slowStart({ window: 1000 }) });
    balancer.update(instances(1));
    balancer.update(instances(2));
    expect(clock.pending).toBe(1);
    {
      using _ = balancer;
    }
    expect(clock.pending).toBe(0);
    balancer.update(instances(3));
    expect(balancer.picker.instances).toHaveLength(2);
  });

  it.each([
    { options: { strategy: 'round-robin' }, field: 'balancer.strategy' },
    { options: { passingQuorum: 2 }, field: 'balancer.passingQuorum' },
    { options: { outlierEjection: { consecutiveFailures: 3 } }, field: 'balancer.outlierEjection' },
    { options: { slowStart: { window: '1s' } }, field: 'balancer.slowStart' },
    { options: { clock: {} }, field: 'balancer.clock.now' },
    { options: { clock: { now: () => 0, setTimeout: () => 0 } }, field: 'balancer.clock.clearTimeout' },
    { options: { pasingQuorum: 1 }, field: 'balancer.pasingQuorum' },
    { options: [], field: 'balancer' },
  ])('rejects $field = $options', ({ options, field }) => {
    expect(() => createBalancer(options as never)).toThrow(expect.objectContaining({ field }));
  });
});
