import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, RegistryUnavailableError } from '../errors.js';
import { FakeClock } from '../testing/fake-clock.js';
import { Latest } from './latest.js';
import { feedWatch, runWatchLoop } from './watch-loop.js';

const backoff = { baseMs: 100, maxMs: 400 };

describe('runWatchLoop', () => {
  it('retries failures with full-jitter backoff (exact table), resets it on progress, reports each error', async () => {
    const clock = new FakeClock();
    const ac = new AbortController();
    const starts: number[] = [];
    const errors: string[] = [];
    // four failures, one attempt that makes progress then fails, one more failure, then one that waits
    const script = ['fail', 'fail', 'fail', 'fail', 'progress', 'fail'];
    const t0 = clock.now();
    const done = runWatchLoop(
      { signal: ac.signal, clock, random: () => 0.5, backoff, onError: (e) => errors.push(e.message) },
      async (healthy) => {
        starts.push(clock.now() - t0);
        const step = script.shift();
        if (step === 'progress') healthy();
        if (step) throw new RegistryUnavailableError(step);
        await new Promise<void>((resolve) => ac.signal.addEventListener('abort', () => resolve()));
      },
    );
    await clock.advance(1000);
    // ceilings 100, 200, 400, 400 (max) → waits 50, 100, 200, 200; progress resets: 50, 100.
    expect(starts).toEqual([0, 50, 150, 350, 550, 600, 700]);
    expect(errors).toEqual(['fail', 'fail', 'fail', 'fail', 'progress', 'fail']);
    ac.abort();
    expect(await done).toBeUndefined();
  });

  it('starts the next attempt at once after a normal end, and stops on a final error', async () => {
    const clock = new FakeClock();
    let runs = 0;
    const refusal = new InvalidArgumentError('service', 'refused');
    const end = await runWatchLoop({ signal: new AbortController().signal, clock, random: () => 0, backoff }, async () => {
      runs += 1;
      if (runs === 3) throw refusal;
    });
    expect(runs).toBe(3);
    expect(end).toEqual({ error: refusal });
  });

  it('a throwing onError is isolated: the loop keeps retrying', async () => {
    const clock = new FakeClock();
    const ac = new AbortController();
    let runs = 0;
    const done = runWatchLoop(
      {
        signal: ac.signal,
        clock,
        random: () => 0.5,
        backoff,
        onError: () => {
          throw new Error('listener bug');
        },
      },
      async () => {
        runs += 1;
        throw new RegistryUnavailableError('down');
      },
    );
    await clock.advance(1000);
    expect(runs).toBeGreaterThanOrEqual(3);
    ac.abort();
    expect(await done).toBeUndefined();
  });
});

describe('feedWatch', () => {
  it('ends the channel as soon as the signal aborts, while an attempt is still waiting', async () => {
    const clock = new FakeClock();
    const ac = new AbortController();
    const channel = new Latest<number>();
    void feedWatch(channel, { signal: ac.signal, clock, random: () => 0, backoff }, async () => {
      channel.push(1);
      await new Promise(() => {}); // an attempt that ignores the signal
    });
    expect(await channel.next()).toEqual({ value: 1, done: false });
    ac.abort();
    expect(await channel.next()).toEqual({ value: undefined, done: true });
  });

  it('ends the channel with a final error', async () => {
    const channel = new Latest<number>();
    const refusal = new InvalidArgumentError('service', 'refused');
    await feedWatch(channel, { signal: new AbortController().signal, clock: new FakeClock(), random: () => 0, backoff }, async () => {
      throw refusal;
    });
    await expect(channel.next()).rejects.toBe(refusal);
  });
});
