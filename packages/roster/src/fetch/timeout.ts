/**
 * timeout(): a time limit on everything below it, as a deadline on the request (grpc style).
 * Placed outside `retry()` it bounds the whole call, retries and backoff included; placed
 * inside, it bounds each attempt. Deadlines only get earlier: an attempt limit of 2 s inside a
 * call limit with 1 s left gets 1 s.
 */
import { type Clock, MAX_TIMER_MS } from '../clock.js';
import { durationOption } from '../balancer/options.js';
import * as v from '../internal/options.js';
import { InvalidArgumentError } from '../errors.js';
import { preciseClock } from './precise-clock.js';
import type { Middleware, Transport, TransportRequest } from './transport.js';

/** Options of {@link timeout}. */
export interface TimeoutOptions {
  /** Clock of the deadline; must be the clock of the Transport below. Default: the system clock (sub-millisecond). */
  readonly clock?: Clock;
}

/**
 * Limits the time until the response headers arrive to `limit` (milliseconds or a Go duration
 * such as `"2s"`). The Transport at the bottom rejects with `TimeoutError` when the deadline
 * passes; `retry()` does not start an attempt or a backoff wait it cannot finish in time.
 * @throws InvalidArgumentError for a limit that is not a positive duration.
 */
export function timeout(limit: number | string, options?: TimeoutOptions): Middleware {
  if (limit === undefined) throw new InvalidArgumentError('timeout', 'is required (milliseconds or a duration like "2s")');
  const ms = durationOption('timeout', limit, 0, 1, MAX_TIMER_MS);
  const clock = v.options(options, { clock: v.withDefault(v.clock, preciseClock) }, 'timeout options').clock;
  return (next: Transport): Transport =>
    (req: TransportRequest) => {
      const deadline = clock.now() + ms;
      return next(req.deadline !== undefined && req.deadline <= deadline ? req : { ...req, deadline });
    };
}
