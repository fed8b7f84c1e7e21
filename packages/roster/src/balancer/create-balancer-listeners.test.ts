/**
 * Balancer listeners (`subscribe` for pickers, `onEvent` for ejections) are isolated: a throwing
 * one leaves the other listeners and the balancer's own state untouched.
 */
import diagnostics from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { CHANNELS } from '../diagnostics.js';
import type { BalancerEvent, CallOutcome, Picker } from './balancer.js';
import { createBalancer } from './create-balancer.js';
import { outlierEjection } from './outlier-ejection.js';
import { instances, ManualClock } from './test-support.js';

const reported: { event: string }[] = [];
const onReport = (message: unknown) => reported.push(message as { event: string });
diagnostics.subscribe(CHANNELS.listenerError, onReport);
afterEach(() => {
  reported.length = 0;
});

const fail: CallOutcome = { ok: false, latencyMs: 5, status: 500 };
const ids = (picker: Picker) => picker.instances.map((i) => i.id);

describe('Balancer: throwing listeners are isolated', () => {
  it('a throwing picker subscriber: later subscribers get every picker, the balancer publishes it', () => {
    const balancer = createBalancer({ clock: new ManualClock() });
    balancer.subscribe(() => {
      throw new Error('picker listener bug');
    });
    const seen: string[][] = [];
    balancer.subscribe((p) => seen.push(ids(p)));
    const list = instances(3);
    expect(() => balancer.update(list)).not.toThrow();
    balancer.update(list.slice(0, 2));
    expect(seen).toEqual([
      ['i0', 'i1', 'i2'],
      ['i0', 'i1'],
    ]);
    expect(ids(balancer.picker)).toEqual(['i0', 'i1']);
    expect(reported.map((r) => r.event)).toEqual(['balancer:picker', 'balancer:picker']);
  });

  it('a throwing event listener: the ejection happens and is timed as without it', () => {
    const clock = new ManualClock();
    const balancer = createBalancer({ clock, outlierEjection: outlierEjection({ baseEjectionTime: '30s' }) });
    balancer.onEvent(() => {
      throw new Error('event listener bug');
    });
    const events: BalancerEvent['type'][] = [];
    balancer.onEvent((e) => events.push(e.type));
    const list = instances(4);
    balancer.update(list);
    const target = list[1]!;
    for (let k = 0; k < 10 && balancer.picker.instances.includes(target); k++) {
      balancer.start(target);
      expect(() => balancer.finish(target, fail)).not.toThrow();
    }
    expect(ids(balancer.picker)).toEqual(['i0', 'i2', 'i3']);
    clock.advance(30_000);
    expect(ids(balancer.picker)).toEqual(['i0', 'i1', 'i2', 'i3']);
    expect(events).toEqual(['ejected', 'unejected']);
    expect(reported.map((r) => r.event)).toEqual(['balancer:event', 'balancer:event']);
    expect(clock.pending).toBe(0);
  });
});
