/**
 * A Lease `onEvent` listener that throws must not reach the lease: successful renewals stay
 * `renewed` (not `renew-failed`), the other listeners see every event, the lease keeps its period.
 */
import diagnostics from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { CHANNELS } from '../diagnostics.js';
import type { Instance } from '../model.js';
import { FakeClock } from '../testing/fake-clock.js';
import { KeptLease, type LeaseDriver } from './kept-lease.js';
import type { LeaseEvent } from './registry.js';

const reported: unknown[] = [];
const onReport = (message: unknown) => reported.push(message);
diagnostics.subscribe(CHANNELS.listenerError, onReport);
afterEach(() => {
  reported.length = 0;
});

const instance: Instance = {
  id: 'a',
  service: 's',
  address: '127.0.0.1',
  port: 80,
  tags: [],
  meta: {},
  weight: 1,
  zone: '',
  health: 'passing',
};

describe('KeptLease: a throwing onEvent listener is isolated', () => {
  it('renewals stay renewed, other listeners see every event, the period is kept', async () => {
    const clock = new FakeClock();
    const calls: string[] = [];
    const driver: LeaseDriver = {
      register: async () => void calls.push('register'),
      renew: async () => {
        calls.push('renew');
        return 'ok';
      },
      setHealth: async () => 'ok',
      remove: async () => void calls.push('remove'),
    };
    const lease = new KeptLease({ instance, driver, clock, renewEveryMs: 1000, retryAfterMs: 250 });
    const bug = new Error('listener bug');
    lease.onEvent(() => {
      throw bug;
    });
    const events: LeaseEvent['type'][] = [];
    lease.onEvent((e) => events.push(e.type));

    await clock.advance(1000);
    await clock.advance(1000);
    await clock.advance(1000);
    // A renew-failed would retry after 250 ms: exactly three renewals in 3 s prove the period held.
    expect(calls).toEqual(['renew', 'renew', 'renew']);
    expect(events).toEqual(['renewed', 'renewed', 'renewed']);
    await lease.deregister();
    expect(events).toEqual(['renewed', 'renewed', 'renewed', 'ended']);
    expect(lease.lost.aborted).toBe(true);
    expect(reported).toHaveLength(4);
    expect(reported[0]).toMatchObject({ event: 'lease:event', error: bug });
  });
});
