import diagnostics from 'node:diagnostics_channel';
import { describe, expect, it, vi } from 'vitest';
import { CHANNELS } from '../diagnostics.js';
import { RegistryUnavailableError } from '../errors.js';
import type { Lease, Registry } from '../registry/registry.js';
import { announce } from './announce.js';
import type { AnnounceOptions } from './announce-options.js';
import type { AnnouncementEvent } from './announcement.js';
import { memoryFixture, scriptedLag } from './test-support.js';

const ID = 'orders-127.0.0.1-8080';

/** announce() on the fixture's registry and clock; no signal handlers, no real lag source. */
function announceOn(f: ReturnType<typeof memoryFixture>, options: Partial<AnnounceOptions> = {}) {
  return announce({
    registry: f.registry,
    clock: f.clock,
    service: 'orders',
    address: '127.0.0.1',
    port: 8080,
    signals: false,
    lagWatchdog: false,
    ...options,
  });
}

/** Event names, with the detail that matters for ordering. */
function record(events: AnnouncementEvent[]): string[] {
  return events.map((e) => {
    switch (e.type) {
      case 'health':
        return `health:${e.status}${e.output ? `:${e.output}` : ''}`;
      case 'drain':
        return `drain:${e.phase}`;
      case 'ended':
        return `ended:${e.reason}`;
      default:
        return e.type;
    }
  });
}

describe('announce: registration', () => {
  it('registers with a 10 s TTL the Lease renews, and the instance expires when renewals stop', async () => {
    const f = memoryFixture();
    const a = await announceOn(f);
    expect(a.instance.id).toBe(ID);
    expect(a.state).toBe('serving');
    expect(a.health).toEqual({ status: 'passing', output: '' });
    await f.clock.advance(60_000);
    expect(f.health(ID)).toBe('passing');
    // The process "dies": its client stops renewing without deregistering.
    await f.registry.close();
    await f.clock.advance(10_000);
    expect(f.health(ID)).toBe('absent');
  });

  it('registers again after the registry forgot it, and surfaces the lease events', async () => {
    const f = memoryFixture();
    const a = await announceOn(f, { ttl: '3s' });
    const events: AnnouncementEvent[] = [];
    a.onEvent((e) => events.push(e));
    await a.setHealth('warning', 'cache cold');
    // Deleted behind its back (an operator, a registry restarted empty).
    expect(await f.registry.deregister('orders', ID)).toBe(true);
    expect(f.health(ID)).toBe('absent');
    await f.clock.advance(1000); // next renewal (ttl / 3)
    expect(f.health(ID)).toBe('warning');
    expect(record(events)).toEqual(['health:warning:cache cold', 'forgotten', 'restored']);
    expect(f.history).toEqual([`${ID}:passing`, `${ID}:warning`, '-', `${ID}:warning`]);
    expect(a.lease.lost.aborted).toBe(false);
  });

  it('setHealth is the application part of the health; the worst part wins', async () => {
    const f = memoryFixture();
    const a = await announceOn(f);
    expect(await a.setHealth('critical', 'database down')).toBe(true);
    expect(f.health(ID)).toBe('critical');
    expect(a.health).toEqual({ status: 'critical', output: 'database down' });
    expect(await a.setHealth('passing', 'ok')).toBe(true);
    expect(a.health).toEqual({ status: 'passing', output: 'ok' });
    await expect(a.setHealth('sick' as 'passing')).rejects.toMatchObject({ field: 'status' });
  });

  it('invalid options register nothing', async () => {
    const f = memoryFixture();
    const register = vi.spyOn(f.registry, 'register');
    await expect(announceOn(f, { port: 0 })).rejects.toMatchObject({ code: 'ROSTER_ERR_INVALID_ARGUMENT', field: 'port' });
    await expect(announceOn(f, { drain: { timeoutMs: -1 } })).rejects.toMatchObject({ field: 'drain.timeoutMs' });
    expect(register).not.toHaveBeenCalled();
  });
});

describe('announce: event-loop-lag watchdog', () => {
  it('reports warning while the loop lags and passing after it recovered', async () => {
    const f = memoryFixture();
    const lag = scriptedLag([0, 1500, 0, 0]);
    const a = await announceOn(f, {
      lagWatchdog: { source: lag, intervalMs: 1000, thresholdMs: 500, recoverAfter: 2 },
      drain: { propagationMs: 0 },
    });
    await f.clock.advance(2000);
    expect(f.health(ID)).toBe('warning');
    expect(a.health).toEqual({ status: 'warning', output: 'event loop lag 1500 ms' });
    await f.clock.advance(1000);
    expect(f.health(ID)).toBe('warning');
    await f.clock.advance(1000);
    expect(f.health(ID)).toBe('passing');
    expect(f.history).toEqual([`${ID}:passing`, `${ID}:warning`, `${ID}:passing`]);
    await a.drain();
    expect(lag.stopped).toBe(true);
  });

  it('a lag warning does not hide the application critical, and the drain stops the watchdog', async () => {
    const f = memoryFixture();
    const lag = scriptedLag([2000]);
    const a = await announceOn(f, { lagWatchdog: { source: lag, thresholdMs: 100 } });
    await a.setHealth('critical', 'disk full');
    await f.clock.advance(1000);
    expect(a.health).toEqual({ status: 'critical', output: 'event loop lag 2000 ms; disk full' });
    const drained = a.drain();
    await f.clock.advance(2000);
    await drained;
    expect(lag.stopped).toBe(true);
    expect(f.clock.pending).toBe(0);
  });

  it('defaults to a threshold of a quarter of a short TTL', async () => {
    const f = memoryFixture();
    const a = await announceOn(f, { ttl: '2s', lagWatchdog: { source: scriptedLag([499, 501]) } });
    await f.clock.advance(1000);
    expect(a.health.status).toBe('passing');
    await f.clock.advance(1000);
    expect(a.health.status).toBe('warning');
  });
});

describe('announce: drain', () => {
  it('reports critical, waits for propagation, then deregisters — in that order', async () => {
    const f = memoryFixture();
    const a = await announceOn(f, { drain: { propagationMs: 3000 } });
    const events: AnnouncementEvent[] = [];
    a.onEvent((e) => events.push(e));
    const started = f.clock.now();
    const drained = a.drain();
    expect(a.state).toBe('draining');
    await f.clock.advance(2999);
    expect(f.health(ID)).toBe('critical');
    expect(a.health).toEqual({ status: 'critical', output: 'draining' });
    await f.clock.advance(1);
    const result = await drained;
    expect(f.history).toEqual([`${ID}:passing`, `${ID}:critical`, '-']);
    expect(record(events)).toEqual([
      'drain:started',
      'health:critical:draining',
      'drain:marked',
      'drain:propagated',
      'ended:deregistered',
      'drain:deregistered',
      'drained',
    ]);
    expect(result).toEqual({
      trigger: 'call',
      startedAt: started,
      endedAt: started + 3000,
      marked: true,
      forcedConnections: 0,
      deregistered: true,
      errors: [],
    });
    expect(a.state).toBe('drained');
    await expect(a.drained).resolves.toBe(result);
  });

  it('is idempotent: drain(), await using and drained share one drain', async () => {
    const f = memoryFixture();
    const deregister = vi.fn();
    let first: Promise<unknown> | undefined;
    {
      await using a = await announceOn(f, { drain: { propagationMs: 0 } });
      a.onEvent((e) => e.type === 'drain' && e.phase === 'deregistered' && deregister());
      first = a.drain();
      expect(a.drain()).toBe(first);
    }
    await expect(first).resolves.toMatchObject({ trigger: 'call', deregistered: true });
    expect(deregister).toHaveBeenCalledTimes(1);
    expect(f.history.at(-1)).toBe('-');
  });

  it('await using drains at the end of the scope', async () => {
    const f = memoryFixture();
    let result: unknown;
    {
      await using a = await announceOn(f, { drain: { propagationMs: 0 } });
      void a.drained.then((r) => {
        result = r;
      });
      expect(f.health(ID)).toBe('passing');
    }
    expect(f.history).toEqual([`${ID}:passing`, `${ID}:critical`, '-']);
    expect(result).toMatchObject({ trigger: 'dispose', marked: true, deregistered: true });
  });

  it('after the lease was lost, a drain has nothing to mark or remove and does not fail', async () => {
    const f = memoryFixture();
    const a = await announceOn(f, { drain: { propagationMs: 0 } });
    await f.registry.close();
    expect(a.lease.lost.aborted).toBe(true);
    const result = await a.drain();
    expect(result).toMatchObject({ marked: false, deregistered: true, errors: [] });
  });

  it('registry unreachable: the drain still runs every step and lists what failed', async () => {
    const f = memoryFixture();
    const down = new RegistryUnavailableError('registry down');
    const registry: Registry = {
      ...f.registry,
      register: async (registration) => {
        const lease = await f.registry.register(registration);
        const failing: Lease = {
          instance: lease.instance,
          lost: lease.lost,
          onEvent: (l) => lease.onEvent(l),
          setHealth: () => Promise.reject(down),
          deregister: () => Promise.reject(down),
          [Symbol.asyncDispose]: () => lease[Symbol.asyncDispose](),
        };
        return failing;
      },
    };
    const a = await announceOn(f, { registry, drain: { propagationMs: 500 } });
    const events: AnnouncementEvent[] = [];
    a.onEvent((e) => events.push(e));
    const drained = a.drain();
    await f.clock.advance(500);
    const result = await drained;
    expect(result).toMatchObject({ marked: false, deregistered: false, errors: [down, down] });
    expect(record(events)).toEqual([
      'drain:started',
      'health:critical:draining',
      'health-report-failed',
      'drain:marked',
      'drain:propagated',
      'drain:deregistered',
      'drained',
    ]);
    // The health endpoint still says critical, so an HTTP check takes it out of rotation.
    expect(a.health.status).toBe('critical');
  });

  it('a throwing event listener does not break the drain', async () => {
    const f = memoryFixture();
    const a = await announceOn(f, { drain: { propagationMs: 0 } });
    a.onEvent(() => {
      throw new Error('listener bug');
    });
    const seen: string[] = [];
    a.onEvent((e) => seen.push(e.type === 'drain' ? `drain:${e.phase}` : e.type));
    // The throw is reported on the diagnostics channel (not as an uncaught exception).
    const reported: unknown[] = [];
    const onReport = (message: unknown) => reported.push(message);
    diagnostics.subscribe(CHANNELS.listenerError, onReport);
    try {
      await expect(a.drain()).resolves.toMatchObject({ deregistered: true });
    } finally {
      diagnostics.unsubscribe(CHANNELS.listenerError, onReport);
    }
    expect(seen).toContain('drained');
    expect(a.state).toBe('drained');
    expect(reported.length).toBe(seen.length);
    expect(reported[0]).toMatchObject({ event: 'announcement:event', error: { message: 'listener bug' } });
  });
});

describe('announce: signals (in process)', () => {
  it('a signal starts the drain; the handlers are gone afterwards', async () => {
    const f = memoryFixture();
    const before = process.listenerCount('SIGUSR2');
    const a = await announceOn(f, { signals: ['SIGUSR2'], exitOnSignal: false, drain: { propagationMs: 0 } });
    expect(process.listenerCount('SIGUSR2')).toBe(before + 1);
    process.emit('SIGUSR2', 'SIGUSR2');
    const result = await a.drained;
    expect(result).toMatchObject({ trigger: 'signal', signal: 'SIGUSR2', deregistered: true });
    expect(process.listenerCount('SIGUSR2')).toBe(before);
    expect(process.exitCode).toBeUndefined();
  });

  it('signals: false installs nothing; a programmatic drain removes the handlers too', async () => {
    const f = memoryFixture();
    const before = process.listenerCount('SIGUSR2');
    const quiet = await announceOn(f, { signals: false, id: 'quiet', drain: { propagationMs: 0 } });
    expect(process.listenerCount('SIGUSR2')).toBe(before);
    const a = await announceOn(f, { signals: ['SIGUSR2'], exitOnSignal: false, drain: { propagationMs: 0 } });
    await a.drain();
    await quiet.drain();
    expect(process.listenerCount('SIGUSR2')).toBe(before);
  });
});
