/** `onRecover`: told once per recovery, when an attempt makes progress after retried errors. */
import { describe, expect, it } from 'vitest';
import { RegistryUnavailableError } from '../errors.js';
import { FakeClock } from '../testing/fake-clock.js';
import { runWatchLoop } from './watch-loop.js';

describe('runWatchLoop onRecover', () => {
  it('fires on the first progress after failures only, and a throwing listener changes nothing', async () => {
    const clock = new FakeClock();
    const ac = new AbortController();
    const events: string[] = [];
    // progress without failure (no recover), two failures, progress (recover), progress (no), failure, progress (recover)
    const script = ['progress', 'fail', 'fail', 'progress', 'progress', 'fail', 'progress'];
    const done = runWatchLoop(
      {
        signal: ac.signal,
        clock,
        random: () => 0,
        backoff: { baseMs: 10, maxMs: 10 },
        onError: () => events.push('error'),
        onRecover: () => {
          events.push('recover');
          throw new Error('listener bug');
        },
      },
      async (healthy) => {
        const step = script.shift();
        if (step === undefined) return new Promise<void>((resolve) => ac.signal.addEventListener('abort', () => resolve()));
        if (step === 'progress') {
          healthy();
          events.push('progress');
          return;
        }
        throw new RegistryUnavailableError(step);
      },
    );
    await clock.advance(100);
    ac.abort();
    expect(await done).toBeUndefined();
    expect(events).toEqual(['progress', 'error', 'error', 'recover', 'progress', 'progress', 'error', 'recover', 'progress']);
  });
});
