import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { FakeClock } from '../testing/fake-clock.js';
import { retryBudget } from './retry-budget.js';

const withdrawAll = (budget: { tryWithdraw(): boolean }, max = 10_000): number => {
  let n = 0;
  while (n < max && budget.tryWithdraw()) n++;
  return n;
};

describe('retryBudget', () => {
  it.each([
    // [ratio, perSecond, requests deposited, retries allowed]
    [0.2, 0, 10, 2],
    [0.2, 0, 9, 1],
    [0.2, 0, 0, 0],
    [0.5, 0, 7, 3],
    [0, 10, 0, 100],
    [0.2, 10, 50, 110],
    [1, 0, 3, 3],
  ])('ratio %f + %i/s, %i requests → %i retries', (ratio, perSecond, requests, allowed) => {
    const clock = new FakeClock(0);
    const budget = retryBudget({ ratio, perSecond, window: '10s', clock });
    for (let i = 0; i < requests; i++) budget.deposit();
    expect(budget.available()).toBe(allowed);
    expect(withdrawAll(budget)).toBe(allowed);
    expect(budget.available()).toBe(0);
  });

  it('lets deposits and retries expire after the window, one slot (window / 10) at a time', async () => {
    const clock = new FakeClock(0);
    const budget = retryBudget({ ratio: 0.2, perSecond: 0, window: 10_000, clock });
    for (let i = 0; i < 50; i++) budget.deposit(); // slot 0: 10 tokens
    expect(withdrawAll(budget)).toBe(10);
    await clock.advance(5000);
    for (let i = 0; i < 50; i++) budget.deposit(); // slot 5: 10 more
    expect(budget.available()).toBe(10);
    await clock.advance(4999); // t = 9999: slot 0 still in the window
    expect(budget.available()).toBe(10);
    await clock.advance(1); // t = 10000: slot 0 (50 requests, 10 retries) leaves
    expect(budget.available()).toBe(10);
    expect(withdrawAll(budget)).toBe(10);
    await clock.advance(5000); // t = 15000: slot 5 leaves too
    expect(budget.available()).toBe(0);
  });

  it('refills the per-second reserve once the retries that spent it leave the window', async () => {
    const clock = new FakeClock(0);
    const budget = retryBudget({ ratio: 0, perSecond: 10, window: '10s', clock });
    expect(withdrawAll(budget)).toBe(100);
    await clock.advance(9999);
    expect(budget.tryWithdraw()).toBe(false);
    await clock.advance(1);
    expect(withdrawAll(budget)).toBe(100);
  });

  it('keeps retries within 20 % of requests + 10/s during a long outage (1,000 req/s, 60 s, every call failing)', async () => {
    let now = 0;
    const budget = retryBudget({ clock: { now: () => now, setTimeout: () => ({}), clearTimeout: () => {} } });
    let requests = 0;
    let retries = 0;
    for (; now < 60_000; now++) {
      budget.deposit();
      requests++;
      // Every call fails and wants two retries (three attempts).
      if (budget.tryWithdraw()) retries++;
      if (budget.tryWithdraw()) retries++;
    }
    // The bound over the whole run: ratio × requests + perSecond × (run + one window of reserve).
    expect(retries).toBeLessThanOrEqual(0.2 * requests + 10 * (60 + 10));
    expect(retries).toBeGreaterThanOrEqual(0.2 * requests);
  });

  it('survives a clock that steps back', async () => {
    let now = 50_000;
    const clock = { now: () => now, setTimeout: () => ({}), clearTimeout: () => {} };
    const budget = retryBudget({ ratio: 0.2, perSecond: 0, clock });
    for (let i = 0; i < 10; i++) budget.deposit();
    now = 20_000;
    expect(budget.available()).toBe(2);
    now = 49_000;
    budget.deposit();
    expect(withdrawAll(budget)).toBe(2);
  });

  it.each([
    [{ ratio: -0.1 }, 'retryBudget.ratio'],
    [{ ratio: 11 }, 'retryBudget.ratio'],
    [{ perSecond: Number.NaN }, 'retryBudget.perSecond'],
    [{ window: '10ms' }, 'retryBudget.window'],
    [{ window: 'soon' }, 'retryBudget.window'],
  ])('rejects %o naming %s', (options, field) => {
    expect(() => retryBudget(options)).toThrow(InvalidArgumentError);
    expect(() => retryBudget(options)).toThrow(expect.objectContaining({ field }));
  });
});
