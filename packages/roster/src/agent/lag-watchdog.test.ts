import { describe, expect, it } from 'vitest';
import { FakeClock } from '../testing/fake-clock.js';
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
