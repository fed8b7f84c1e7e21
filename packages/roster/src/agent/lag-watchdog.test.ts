import { describe, expect, it } from 'vitest';
import { memoryRegistry } from '../registry/memory.js';
import { MemoryStore } from '../registry/memory-store.js';
import { FakeClock } from '../testing/fake-clock.js';
import { announce } from './announce.js';
import { eventLoopDelaySource } from './event-loop-delay-source.js';
import { type LagStatus, startLagWatchdog } from './lag-watchdog.js';
import { scriptedLag } from './test-support.js';

/** Runs the watchdog over `samples` (one per interval) and returns the status after each. */
async function run(samples: number[], thresholdMs = 100, recoverAfter = 3) {
  const clock = new FakeClock();
  const changes: string[] = [];
  const watchdog = startLagWatchdog({
    clock,
    source: scriptedLag(samples),
    intervalMs: 1000,
    thresholdMs,
    recoverAfter,
    onChange: (status, lagMs) => changes.push(`${status}@${lagMs}`),
  });
  const statuses: LagStatus[] = [];
  for (let i = 0; i < samples.length; i++) {
    await clock.advance(1000);
    statuses.push(watchdog.status);
  }
  watchdog.stop();
  return { statuses, changes };
}

describe('startLagWatchdog', () => {
  it.each([
    { name: 'calm loop', samples: [0, 5, 99, 100], statuses: ['passing', 'passing', 'passing', 'passing'], changes: [] },
    { name: 'lag above threshold warns at once', samples: [0, 101], statuses: ['passing', 'warning'], changes: ['warning@101'] },
    {
      name: 'recovers after three calm samples',
      samples: [250, 10, 10, 10, 10],
      statuses: ['warning', 'warning', 'warning', 'passing', 'passing'],
      changes: ['warning@250', 'passing@10'],
    },
    {
      name: 'a lag during recovery starts the count again',
      samples: [250, 10, 10, 300, 10, 10, 10],
      statuses: ['warning', 'warning', 'warning', 'warning', 'warning', 'warning', 'passing'],
      changes: ['warning@250', 'passing@10'],
    },
    {
      name: 'sustained lag reports once',
      samples: [500, 600, 700],
      statuses: ['warning', 'warning', 'warning'],
      changes: ['warning@500'],
    },
  ])('$name', async ({ samples, statuses, changes }) => {
    const result = await run(samples);
    expect(result.statuses).toEqual(statuses);
    expect(result.changes).toEqual(changes);
  });

  it('samples every interval on the clock, and stop() ends sampling and the source', async () => {
    const clock = new FakeClock();
    const source = scriptedLag();
    let samples = 0;
    const counting = {
      sample: () => {
        samples++;
        return source.sample();
      },
      stop: () => source.stop?.(),
    };
    const watchdog = startLagWatchdog({ clock, source: counting, intervalMs: 500, thresholdMs: 100, recoverAfter: 1, onChange: () => {} });
    await clock.advance(499);
    expect(samples).toBe(0);
    await clock.advance(1);
    await clock.advance(1000);
    expect(samples).toBe(3);
    watchdog.stop();
    watchdog.stop();
    await clock.advance(5000);
    expect(samples).toBe(3);
    expect(source.stopped).toBe(true);
    expect(clock.pending).toBe(0);
  });
});

/** Blocks the event loop on purpose. */
function block(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // spin
  }
}

describe('eventLoopDelaySource', () => {
  it('sees a blocked event loop, and resets after each sample', async () => {
    const source = eventLoopDelaySource();
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
      source.sample();
      block(250);
      // Read right after the stall, and again after the interval's late tick ran.
      expect(source.sample()).toBeGreaterThan(150);
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(source.sample()).toBeLessThan(150);
      block(250);
      // Read after the interval's late tick recorded it.
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(source.sample()).toBeGreaterThan(150);
    } finally {
      source.stop?.();
    }
  });
});

describe('the watchdog in announce(), on the real event loop', () => {
  it('a blocked loop turns the instance warning in the registry, and it recovers', async () => {
    const store = new MemoryStore();
    const registry = memoryRegistry({ store });
    const health = () => store.snapshot('orders').instances[0]?.health;
    const a = await announce({
      registry,
      service: 'orders',
      address: '127.0.0.1',
      port: 8080,
      signals: false,
      drain: { propagationMs: 0 },
      lagWatchdog: { thresholdMs: 150, intervalMs: 50, recoverAfter: 2 },
    });
    try {
      await until(() => a.health.status === 'passing' && health() === 'passing');
      block(400);
      await until(() => health() === 'warning');
      expect(a.health.output).toMatch(/^event loop lag \d+ ms$/);
      expect(Number(/\d+/.exec(a.health.output)?.[0])).toBeGreaterThanOrEqual(300);
      await until(() => health() === 'passing');
    } finally {
      await a.drain();
      await registry.close();
    }
  });
});

/** Polls `condition` every 10 ms for up to 5 s. */
async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
