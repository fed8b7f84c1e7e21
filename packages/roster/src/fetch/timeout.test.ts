import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, InvalidArgumentError, TimeoutError } from '../errors.js';
import { FakeClock } from '../testing/fake-clock.js';
import { compose } from './compose.js';
import { scriptedTransport } from './test-support.js';
import { timeout } from './timeout.js';
import type { TransportRequest } from './transport.js';
import { undiciTransport } from './undici-transport.js';

const request: TransportRequest = { service: 'orders', origin: 'http://orders', path: '/', method: 'GET' };

describe('timeout', () => {
  it('sets the deadline to now + limit', async () => {
    const clock = new FakeClock(1000);
    const transport = scriptedTransport(() => 200);
    await timeout(250, { clock })(transport)(request);
    expect(transport.calls[0]!.deadline).toBe(1250);
  });

  it.each([
    // [outer limit, inner limit, deadline seen by the transport]
    [1000, 200, 1200],
    [200, 1000, 1200],
    [300, 300, 1300],
  ])('outer %i ms, inner %i ms: the earlier deadline wins (%i)', async (outer, inner, expected) => {
    const clock = new FakeClock(1000);
    const transport = scriptedTransport(() => 200);
    await compose(timeout(outer, { clock }), timeout(inner, { clock }))(transport)(request);
    expect(transport.calls[0]!.deadline).toBe(expected);
  });

  it('accepts Go durations and validates once', () => {
    expect(() => timeout('2s')).not.toThrow();
    for (const bad of [0, -1, Number.NaN, '2 parsecs', undefined]) {
      expect(() => timeout(bad as number)).toThrow(InvalidArgumentError);
    }
    try {
      timeout(0);
    } catch (error) {
      expect((error as InvalidArgumentError).field).toBe('timeout');
    }
  });
});

describe('deadlines in the undici transport (a server that never answers, on a fake clock)', () => {
  let server: http.Server;
  let origin = '';
  let received = 0;
  beforeAll(async () => {
    server = http.createServer(() => {
      received++;
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('rejects with TimeoutError when the deadline passes, not before', async () => {
    const clock = new FakeClock(0);
    const call = timeout(500, { clock })(undiciTransport({ clock }))({ ...request, origin });
    let settled = false;
    call
      .catch(() => {})
      .finally(() => {
        settled = true;
      });
    while (received === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await clock.advance(499);
    expect(settled).toBe(false);
    await clock.advance(1);
    await expect(call).rejects.toBeInstanceOf(TimeoutError);
    await expect(call).rejects.toMatchObject({ code: ErrorCode.Timeout, retryable: true });
  });

  it('does not send a request whose deadline already passed', async () => {
    const clock = new FakeClock(0);
    const before = received;
    await expect(undiciTransport({ clock })({ ...request, origin, deadline: 0 })).rejects.toBeInstanceOf(TimeoutError);
    expect(received).toBe(before);
  });
});
