import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, RegistryUnavailableError } from '../errors.js';
import type { Instance } from '../model.js';
import { FakeClock } from '../testing/fake-clock.js';
import { KeptLease, type LeaseDriver, type RenewOutcome } from './kept-lease.js';
import type { LeaseEvent } from './registry.js';

const instance: Instance = {
  id: 'a',
  service: 's',
  address: '10.0.0.1',
  port: 80,
  tags: [],
  meta: {},
  weight: 1,
  zone: '',
  health: 'passing',
};

/** A driver whose answers a test scripts step by step; it records every call. */
function scripted(renewals: (RenewOutcome | Error)[]) {
  const calls: string[] = [];
  const driver: LeaseDriver = {
    async register(health) {
      calls.push(`register:${health}`);
    },
    async renew(health) {
      calls.push(`renew:${health}`);
      const next = renewals.shift() ?? 'ok';
      if (next instanceof Error) throw next;
      return next;
    },
    async setHealth(health, output) {
      calls.push(`setHealth:${health}:${output}`);
      return 'ok';
    },
    async remove() {
      calls.push('remove');
    },
    release() {
      calls.push('release');
    },
  };
  return { driver, calls };
}

function keep(driver: LeaseDriver, clock: FakeClock) {
  const lease = new KeptLease({ instance, driver, clock, renewEveryMs: 1000, retryAfterMs: 250 });
  const events: LeaseEvent['type'][] = [];
  lease.onEvent((e) => events.push(e.type));
  return { lease, events };
}

describe('KeptLease', () => {
  it('renews every period on the clock', async () => {
    const clock = new FakeClock();
    const { driver, calls } = scripted([]);
    const { events } = keep(driver, clock);
    await clock.advance(999);
    expect(calls).toEqual([]);
    await clock.advance(1);
    await clock.advance(2000);
    expect(calls).toEqual(['renew:passing', 'renew:passing', 'renew:passing']);
    expect(events).toEqual(['renewed', 'renewed', 'renewed']);
  });

  it('retries a failed renewal sooner, then goes back to the period', async () => {
    const clock = new FakeClock();
    const { driver, calls } = scripted([new RegistryUnavailableError('down'), new RegistryUnavailableError('down'), 'ok']);
    const { events } = keep(driver, clock);
    await clock.advance(1000); // fails
    await clock.advance(250); // fails
    await clock.advance(250); // ok
    await clock.advance(999); // nothing yet
    expect(events).toEqual(['renew-failed', 'renew-failed', 'renewed']);
    await clock.advance(1);
    expect(calls).toHaveLength(4);
  });

  it('re-registers with the last reported health when the registry forgot it', async () => {
    const clock = new FakeClock();
    const { driver, calls } = scripted(['forgotten']);
    const { lease, events } = keep(driver, clock);
    await lease.setHealth('warning', 'slow');
    await clock.advance(1000);
    expect(calls).toEqual(['setHealth:warning:slow', 'renew:warning', 'register:warning']);
    expect(events).toEqual(['forgotten', 'restored']);
    expect(lease.lost.aborted).toBe(false);
  });

  it('ends as lost when the registry refuses the registration for good', async () => {
    const clock = new FakeClock();
    const refusal = new InvalidArgumentError('service', 'refused');
    const { driver, calls } = scripted([refusal]);
    const { lease, events } = keep(driver, clock);
    await clock.advance(1000);
    expect(lease.lost.aborted).toBe(true);
    expect(lease.lost.reason).toMatchObject({ code: 'ROSTER_ERR_LEASE_LOST', cause: refusal });
    expect(events).toEqual(['ended']);
    expect(calls).toEqual(['renew:passing', 'release']);
    await clock.advance(10_000);
    expect(calls).toHaveLength(2);
  });

  it('deregister removes once, stops renewing and rejects later health reports', async () => {
    const clock = new FakeClock();
    const { driver, calls } = scripted([]);
    const { lease, events } = keep(driver, clock);
    await Promise.all([lease.deregister(), lease.deregister()]);
    await clock.advance(5000);
    expect(calls).toEqual(['remove', 'release']);
    expect(events).toEqual(['ended']);
    await expect(lease.setHealth('passing')).rejects.toMatchObject({ code: 'ROSTER_ERR_LEASE_LOST' });
  });

  it('serializes health reports behind a renewal in flight', async () => {
    const clock = new FakeClock();
    const order: string[] = [];
    let release: () => void = () => {};
    const driver: LeaseDriver = {
      register: async () => {},
      renew: () =>
        new Promise<RenewOutcome>((resolve) => {
          order.push('renew-start');
          release = () => {
            order.push('renew-end');
            resolve('ok');
          };
        }),
      setHealth: async (h) => {
        order.push(`health:${h}`);
        return 'ok';
      },
      remove: async () => {},
    };
    const { lease } = keep(driver, clock);
    await clock.advance(1000);
    const report = lease.setHealth('critical');
    await clock.advance(0);
    release();
    await report;
    expect(order).toEqual(['renew-start', 'renew-end', 'health:critical']);
  });
});
