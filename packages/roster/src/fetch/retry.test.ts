import diagnostics from 'node:diagnostics_channel';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { consistentHash } from '../balancer/consistent-hash.js';
import { createBalancer } from '../balancer/create-balancer.js';
import { random as randomStrategy } from '../balancer/random.js';
import { roundRobin } from '../balancer/round-robin.js';
import { mulberry32 } from '../balancer/mulberry32.js';
import { CHANNELS } from '../diagnostics.js';
import { AbortedError, InvalidArgumentError, RetriesExhaustedError, TimeoutError } from '../errors.js';
import { FakeClock } from '../testing/fake-clock.js';
import { balance } from './balance.js';
import { compose } from './compose.js';
import { type RetryEvent, type RetryOptions, retry } from './retry.js';
import { retryBudget } from './retry-budget.js';
import { codeError, fakeResponse, instance, scriptedTransport } from './test-support.js';
import { timeout } from './timeout.js';
import type { Transport, TransportRequest, TransportResponse } from './transport.js';

const GET: TransportRequest = { service: 'orders', origin: 'http://orders', path: '/v1/items', method: 'GET' };

/** Random numbers from a list, in order (then 0). */
const sequence = (...values: number[]) => {
  let i = 0;
  return () => values[i++] ?? 0;
};

/** Runs a call to the end on the fake clock (backoff waits included). */
async function run(clock: FakeClock, call: Promise<TransportResponse>): Promise<TransportResponse> {
  let done = false;
  const settled = call.finally(() => {
    done = true;
  });
  settled.catch(() => {});
  for (let i = 0; i < 100 && !done; i++) await clock.advance(100);
  return settled;
}

function setup(options: RetryOptions, script: Parameters<typeof scriptedTransport>[0]) {
  const clock = new FakeClock(0);
  const events: RetryEvent[] = [];
  const times: number[] = [];
  const transport = scriptedTransport((req, n) => {
    times.push(clock.now());
    return script(req, n);
  });
  const call = retry({ clock, budget: false, onEvent: (e) => events.push(e), ...options })(transport);
  return { clock, events, times, transport, call };
}

describe('retry: backoff with full jitter', () => {
  it('waits random × min(max, base · 2ⁿ) before retry n (exact table)', async () => {
    const { clock, events, times, call } = setup(
      { maxAttempts: 5, backoff: { baseMs: 100, maxMs: 300 }, random: sequence(0.5, 0.9, 0.1, 0.99) },
      () => 503,
    );
    const res = await run(clock, call(GET));
    expect(res.status).toBe(503);
    // Ceilings 100, 200, 300 (capped), 300; delays floor(r × ceiling).
    expect(events.map((e) => (e.type === 'retry' ? e.delayMs : -1))).toEqual([50, 180, 30, 297]);
    expect(times).toEqual([0, 50, 230, 260, 557]);
    expect(events.map((e) => e.attempt)).toEqual([2, 3, 4, 5]);
  });

  it('retries at once when the jitter draws 0', async () => {
    const { clock, times, call } = setup({ random: () => 0 }, (_req, n) => (n < 2 ? 502 : 200));
    expect((await run(clock, call(GET))).status).toBe(200);
    expect(times).toEqual([0, 0, 0]);
  });
});

describe('retry: what is retried', () => {
  it.each([
    ['GET', 503, 3],
    ['HEAD', 502, 3],
    ['OPTIONS', 504, 3],
    ['PUT', 503, 3],
    ['DELETE', 503, 3],
    ['POST', 503, 1],
    ['PATCH', 503, 1],
    ['GET', 500, 1],
    ['GET', 429, 1],
    ['GET', 404, 1],
  ])('%s answered %i: %i attempt(s)', async (method, status, attempts) => {
    const { clock, transport, call } = setup({ random: () => 0 }, () => status);
    const res = await run(clock, call({ ...GET, method }));
    expect(res.status).toBe(status);
    expect(transport.calls).toHaveLength(attempts);
  });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'EPIPE'])(
    'retries a GET that failed with %s',
    async (code) => {
      const { clock, transport, call } = setup({ random: () => 0 }, (_req, n) => (n === 0 ? codeError(code) : 200));
      expect((await run(clock, call(GET))).status).toBe(200);
      expect(transport.calls).toHaveLength(2);
    },
  );

  it('retries an attempt that timed out', async () => {
    const { clock, transport, call } = setup({ random: () => 0 }, (_req, n) => (n === 0 ? new TimeoutError('slow') : 200));
    expect((await run(clock, call(GET))).status).toBe(200);
    expect(transport.calls).toHaveLength(2);
  });

  it('does not retry a POST that failed to connect, nor errors that are not connection failures', async () => {
    const post = setup({}, () => codeError('ECONNREFUSED'));
    await expect(run(post.clock, post.call({ ...GET, method: 'POST' }))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(post.transport.calls).toHaveLength(1);
    const bug = new Error('a bug');
    const other = setup({}, () => bug);
    await expect(run(other.clock, other.call(GET))).rejects.toBe(bug);
    expect(other.transport.calls).toHaveLength(1);
  });

  it('follows request.idempotent over the method', async () => {
    const post = setup({ random: () => 0 }, (_req, n) => (n === 0 ? 503 : 201));
    expect((await run(post.clock, post.call({ ...GET, method: 'POST', idempotent: true }))).status).toBe(201);
    const get = setup({ random: () => 0 }, () => 503);
    expect((await run(get.clock, get.call({ ...GET, idempotent: false }))).status).toBe(503);
    expect(get.transport.calls).toHaveLength(1);
  });

  it('never retries a request whose body is a stream (it cannot be sent twice)', async () => {
    const { clock, transport, call } = setup({}, () => 503);
    await run(clock, call({ ...GET, method: 'PUT', body: Readable.from(['x']) }));
    expect(transport.calls).toHaveLength(1);
    const bytes = setup({ random: () => 0 }, () => 503);
    await run(bytes.clock, bytes.call({ ...GET, method: 'PUT', body: new Uint8Array([1, 2]) }));
    expect(bytes.transport.calls).toHaveLength(3);
  });

  it('uses the configured statuses, methods and error rule', async () => {
    const { clock, transport, call } = setup(
      { random: () => 0, statuses: [500], methods: ['post'], retryOn: (e) => (e as Error).message === 'flaky' },
      (_req, n) => [500, new Error('flaky'), 200][n]!,
    );
    expect((await run(clock, call({ ...GET, method: 'POST' }))).status).toBe(200);
    expect(transport.calls).toHaveLength(3);
  });
});

describe('retry: outcome', () => {
  it('returns the last response and discards the bodies of the others', async () => {
    const responses: TransportResponse[] = [];
    const { clock, call } = setup({ random: () => 0 }, (req) => {
      const r = fakeResponse(503, req);
      responses.push(r);
      return r;
    });
    const res = await run(clock, call(GET));
    expect(res).toBe(responses[2]);
    expect(responses.map((r) => (r.body as unknown as { dumped: boolean }).dumped)).toEqual([true, true, false]);
  });

  it('wraps the last error in RetriesExhaustedError after several attempts', async () => {
    const last = codeError('ECONNRESET');
    const { clock, call } = setup({ random: () => 0 }, (_req, n) => (n < 2 ? codeError('ECONNREFUSED') : last));
    const error = await run(clock, call(GET)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect(error).toMatchObject({ attempts: 3, cause: last });
  });

  it('rejects with AbortedError when the caller aborts during the backoff', async () => {
    const controller = new AbortController();
    const { clock, transport, call } = setup({ random: () => 0.5 }, () => 503);
    const pending = call({ ...GET, signal: controller.signal });
    pending.catch(() => {});
    await clock.advance(10);
    controller.abort('user left');
    await expect(pending).rejects.toBeInstanceOf(AbortedError);
    expect(transport.calls).toHaveLength(1);
  });

  it('does not retry when the backoff would end after the deadline; a passed deadline stays a TimeoutError', async () => {
    const clock = new FakeClock(0);
    const transport = scriptedTransport(() => codeError('ECONNREFUSED'));
    const call = compose(timeout(100, { clock }), retry({ clock, budget: false, random: () => 0.99, backoff: { baseMs: 200 } }))(transport);
    await expect(run(clock, call(GET))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(transport.calls).toHaveLength(1);

    const t0 = clock.now();
    const slow = scriptedTransport(async (req) => {
      await new Promise<void>((resolve) => clock.setTimeout(resolve, (req.deadline ?? 0) - clock.now()));
      return new TimeoutError('attempt timed out');
    });
    const bounded = compose(timeout(250, { clock }), retry({ clock, budget: false, random: () => 0 }), timeout(100, { clock }))(slow);
    const error = await run(clock, bounded(GET)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    // Attempts at 0 (deadline 100), 100 (deadline 200), 200 (deadline 250: the call's).
    expect(slow.calls.map((r) => r.deadline! - t0)).toEqual([100, 200, 250]);
  });
});

describe('retry: the budget', () => {
  it('stops retrying when the budget is spent, and says so', async () => {
    const clock = new FakeClock(0);
    const events: RetryEvent[] = [];
    const budget = retryBudget({ ratio: 0.5, perSecond: 0, clock });
    const transport = scriptedTransport(() => codeError('ECONNREFUSED'));
    const call = retry({ clock, budget, random: () => 0, onEvent: (e) => events.push(e) })(transport);
    // Each call deposits half a token; a retry needs a whole one.
    const outcomes = [];
    for (let i = 0; i < 4; i++) outcomes.push(await run(clock, call(GET)).catch((e: unknown) => e));
    expect(events.map((e) => e.type)).toEqual([
      'budget-exhausted', // call 1: 0.5 token
      'retry', // call 2: 1 token, spent
      'budget-exhausted',
      'budget-exhausted', // call 3: 0.5
      'retry', // call 4: 1
      'budget-exhausted',
    ]);
    expect(transport.calls).toHaveLength(1 + 2 + 1 + 2);
    expect(outcomes[0]).toMatchObject({ code: 'ECONNREFUSED' });
    expect(outcomes[1]).toBeInstanceOf(RetriesExhaustedError);
    expect(outcomes[1]).toMatchObject({ attempts: 2 });
  });

  it('counts every call, also those that cannot be retried', () => {
    const clock = new FakeClock(0);
    const budget = retryBudget({ ratio: 0.2, perSecond: 0, clock });
    const call = retry({ clock, budget })(scriptedTransport(() => 200));
    for (let i = 0; i < 10; i++) void call({ ...GET, method: 'POST' });
    expect(budget.available()).toBe(2);
  });
});

describe('retry onto other instances (with balance)', () => {
  const pool = [instance('a'), instance('b', { address: '10.0.0.2' }), instance('c', { address: '10.0.0.3' })];

  function chain(strategy = roundRobin(), instances = pool, script: (req: TransportRequest) => number | Error = () => 503) {
    const clock = new FakeClock(0);
    const balancer = createBalancer({ strategy, clock, outlierEjection: false });
    balancer.update(instances);
    const transport = scriptedTransport(script);
    const events: RetryEvent[] = [];
    const call: Transport = compose(
      retry({ clock, budget: false, random: () => 0, maxAttempts: 5, onEvent: (e) => events.push(e) }),
      balance(balancer, { clock }),
    )(transport);
    return { clock, call, transport, events };
  }

  it('never sends two attempts of one call to the same instance (round robin, random, consistent hash with a key)', async () => {
    const strategies = [roundRobin(), randomStrategy({ random: mulberry32(7) }), consistentHash({ random: mulberry32(9) })];
    for (const strategy of strategies) {
      const { clock, call, transport } = chain(strategy);
      for (let i = 0; i < 30; i++) {
        const before = transport.calls.length;
        await run(clock, call({ ...GET, key: `user-${i}` }));
        const ids = transport.calls.slice(before).map((r) => r.instance!.id);
        expect(ids).toHaveLength(3);
        expect(new Set(ids).size).toBe(3);
      }
    }
  });

  it('stops when every instance was tried, returning the last answer without spending a retry', async () => {
    const { clock, call, transport, events } = chain(roundRobin(), pool.slice(0, 2));
    const res = await run(clock, call(GET));
    expect(res.status).toBe(503);
    expect(transport.calls.map((r) => r.instance!.id).sort()).toEqual(['a', 'b']);
    expect(events).toHaveLength(1);
  });

  it('reaches the healthy instance when the others refuse connections', async () => {
    const { clock, call, events } = chain(roundRobin(), pool, (req) => (req.instance!.id === 'c' ? 200 : codeError('ECONNREFUSED')));
    for (let i = 0; i < 6; i++) expect((await run(clock, call(GET))).instance!.id).toBe('c');
    expect(events.every((e) => e.type === 'retry' && e.instanceId !== 'c' && e.reason === 'ECONNREFUSED')).toBe(true);
  });
});

describe('retry: diagnostics', () => {
  const seen: unknown[] = [];
  const listener = (message: unknown) => seen.push(message);
  afterEach(() => {
    diagnostics.unsubscribe(CHANNELS.retry, listener);
    seen.length = 0;
  });

  it(`publishes every retry on ${CHANNELS.retry}`, async () => {
    diagnostics.subscribe(CHANNELS.retry, listener);
    const { clock, call } = setup({ random: () => 0 }, (_req, n) => (n === 0 ? 503 : 200));
    await run(clock, call(GET));
    expect(seen).toEqual([{ service: 'orders', attempt: 2, instanceId: undefined, reason: 'status 503' }]);
  });
});

describe('retry: options', () => {
  it.each([
    [{ maxAttempts: 0 }, 'retry.maxAttempts'],
    [{ maxAttempts: 11 }, 'retry.maxAttempts'],
    [{ maxAttempts: 1.5 }, 'retry.maxAttempts'],
    [{ methods: ['G E T'] }, 'retry.methods[0]'],
    [{ statuses: [99] }, 'retry.statuses[0]'],
    [{ backoff: { baseMs: 100, maxMs: 50 } }, 'retry.backoff.maxMs'],
    [{ backoff: { baseMs: 'soon' } }, 'retry.backoff.baseMs'],
    [{ budget: { ratio: 11 } }, 'retry.budget.ratio'],
    [{ random: 4 }, 'retry.random'],
    [{ retryOn: 'yes' }, 'retry.retryOn'],
  ])('rejects %o naming %s', (options, field) => {
    expect(() => retry(options as RetryOptions)).toThrow(InvalidArgumentError);
    expect(() => retry(options as RetryOptions)).toThrow(expect.objectContaining({ field }));
  });
});
