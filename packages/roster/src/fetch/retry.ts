/**
 * retry(): another attempt on another instance when one fails, within limits that keep retries
 * from turning a failure into an outage: idempotent methods only (by default), replayable
 * bodies only, a few attempts, backoff with full jitter, the call's deadline, and a retry
 * budget shared by all calls through this middleware.
 */
import { type Clock, sleep } from '../clock.js';
import { randomOption } from '../balancer/options.js';
import * as v from '../internal/options.js';
import { retryChannel } from '../diagnostics.js';
import { AbortedError, ErrorCode, isRosterError, RetriesExhaustedError } from '../errors.js';
import { backoffDelay } from '../internal/backoff.js';
import { preciseClock } from './precise-clock.js';
import { budgetFrom, RetryBudget, type RetryBudgetOptions } from './retry-budget.js';
import { failureReason, IDEMPOTENT_METHODS, isConnectionError, isReplayable, RETRYABLE_STATUSES } from './retryable.js';
import type { CallAttempts, Middleware, Transport, TransportRequest, TransportResponse } from './transport.js';

/** Options of {@link retry}. Durations: milliseconds or Go strings (`"25ms"`). */
export interface RetryOptions {
  /** Attempts per call, the first one included, 1–10. Default 3. */
  readonly maxAttempts?: number;
  /** Methods that may be retried (a request's `idempotent` overrides). Default {@link IDEMPOTENT_METHODS}. */
  readonly methods?: readonly string[];
  /** Response statuses that are retried. Default {@link RETRYABLE_STATUSES} (502, 503, 504). */
  readonly statuses?: readonly number[];
  /** Errors that are retried. Default {@link isConnectionError} (refused, reset, attempt timeout, ...). */
  readonly retryOn?: (error: unknown) => boolean;
  /** Backoff before retry n (0-based): a random time in [0, min(maxMs, baseMs · 2ⁿ)). Default 25 ms, at most 250 ms (durations: ms or Go strings). */
  readonly backoff?: { readonly baseMs?: number | string; readonly maxMs?: number | string };
  /** The retry budget (`retryBudget({...})`, its options, or `false` for none). Default 20 % of requests + 10/s over 10 s. */
  readonly budget?: RetryBudget | RetryBudgetOptions | false;
  /** Clock of the backoff waits and the budget. Default: the system clock. */
  readonly clock?: Clock;
  /** Uniform numbers in [0, 1) for the jitter. Default: a fast generator seeded from the OS. */
  readonly random?: () => number;
  /** Told about every retry and every retry the budget refused (for counters). Must not throw. */
  readonly onEvent?: (event: RetryEvent) => void;
}

/** What {@link retry} reports through `onEvent`. */
export type RetryEvent =
  /** Attempt number `attempt` (2 for the first retry) starts after `delayMs`; `instanceId` failed with `reason`. */
  | {
      readonly type: 'retry';
      readonly service: string;
      readonly attempt: number;
      readonly instanceId: string | undefined;
      readonly reason: string;
      readonly delayMs: number;
    }
  /** A retry was due but the budget had no token left: the call ends with its last outcome. */
  | {
      readonly type: 'budget-exhausted';
      readonly service: string;
      readonly attempt: number;
      readonly instanceId: string | undefined;
      readonly reason: string;
    };

/**
 * Creates the retry middleware. A call is retried when its method is idempotent (or
 * `request.idempotent` is true), its body can be sent again, and an attempt failed with a
 * retryable status or error; the retry goes to an instance this call has not tried yet (with
 * `balance()` below), after a jittered backoff, only if the deadline leaves time for it and the
 * budget has a token.
 *
 * Outcome: the first good response; else the last response (a 503 is returned, not thrown);
 * else the last error: as it is after one attempt, when the caller aborted or the deadline
 * passed, and wrapped in `RetriesExhaustedError` (`cause`: the last error) after several.
 * @throws InvalidArgumentError naming the bad option.
 */
export function retry(options?: RetryOptions): Middleware {
  const o = parseRetryOptions(options);
  const { maxAttempts, retryOn, clock, random, onEvent } = o;
  const { baseMs, maxMs } = o.backoff;
  const methods = new Set(o.methods.map((m) => m.toUpperCase()));
  const statuses = new Set(o.statuses);
  const budget =
    o.budget === false ? undefined : o.budget instanceof RetryBudget ? o.budget : budgetFrom({ clock, ...o.budget }, 'retry.budget');

  const emit = (event: RetryEvent): void => {
    if (event.type === 'retry' && retryChannel.hasSubscribers) {
      retryChannel.publish({ service: event.service, attempt: event.attempt, instanceId: event.instanceId, reason: event.reason });
    }
    onEvent?.(event);
  };

  return (next: Transport): Transport =>
    async (req: TransportRequest): Promise<TransportResponse> => {
      budget?.deposit();
      if (maxAttempts === 1 || !(req.idempotent ?? methods.has(req.method)) || !isReplayable(req.body)) return next(req);
      const attempts: CallAttempts = { tried: [], picker: undefined };
      const call: TransportRequest = { ...req, attempts };
      let response: TransportResponse | undefined;
      let error: unknown;
      for (let attempt = 1; ; attempt++) {
        const before = attempts.tried.length;
        let outcome: TransportResponse | undefined;
        let failure: unknown;
        try {
          outcome = await next(call);
        } catch (e) {
          failure = e;
        }
        // The pool changed between the check and the retry: nothing was sent, keep the last outcome.
        if (outcome === undefined && attempt > 1 && attempts.tried.length === before && isNoInstances(failure)) {
          return surface(attempt - 1, response, error, req, clock);
        }
        if (response !== undefined) discard(response);
        response = outcome;
        error = failure;
        let reason: string;
        if (outcome !== undefined) {
          if (!statuses.has(outcome.status)) return outcome;
          reason = `status ${outcome.status}`;
        } else {
          if (req.signal?.aborted || !retryOn(failure)) throw failure;
          reason = failureReason(failure);
        }
        if (attempt >= maxAttempts || !hasUntried(attempts)) return surface(attempt, response, error, req, clock);
        const delayMs = backoffDelay(attempt - 1, { baseMs, maxMs }, random);
        if (req.deadline !== undefined && clock.now() + delayMs >= req.deadline) return surface(attempt, response, error, req, clock);
        const instanceId = attempts.tried[attempts.tried.length - 1];
        if (budget !== undefined && !budget.tryWithdraw()) {
          emit({ type: 'budget-exhausted', service: req.service, attempt: attempt + 1, instanceId, reason });
          return surface(attempt, response, error, req, clock);
        }
        emit({ type: 'retry', service: req.service, attempt: attempt + 1, instanceId, reason, delayMs });
        if (delayMs > 0) {
          try {
            await sleep(clock, delayMs, req.signal);
          } catch {
            if (response !== undefined) discard(response);
            throw new AbortedError(req.signal?.reason);
          }
        }
      }
    };
}

/** The call's result when no retry follows: the last response, or the last error (see {@link retry}). */
function surface(
  attempts: number,
  response: TransportResponse | undefined,
  error: unknown,
  req: TransportRequest,
  clock: Clock,
): TransportResponse {
  if (response !== undefined) return response;
  const deadlinePassed = req.deadline !== undefined && clock.now() >= req.deadline;
  if (attempts === 1 || (deadlinePassed && isRosterError(error) && error.code === ErrorCode.Timeout)) throw error;
  throw new RetriesExhaustedError(attempts, { cause: error });
}

/** True when the picker of the latest attempt still offers an instance this call has not tried. */
function hasUntried(attempts: CallAttempts): boolean {
  const picker = attempts.picker;
  if (picker === undefined) return true;
  for (const instance of picker.instances) if (!attempts.tried.includes(instance.id)) return true;
  return false;
}

function isNoInstances(error: unknown): boolean {
  return isRosterError(error) && error.code === ErrorCode.NoInstances;
}

/** Releases the connection of a response nobody will read. */
function discard(response: TransportResponse): void {
  response.body.dump().catch(() => {});
}

const METHOD = /^[A-Za-z]{1,32}$/;

const RETRY_OPTIONS = {
  maxAttempts: v.withDefault(v.integer(1, 10), 3),
  methods: v.withDefault(v.arrayOf(v.string(1, 32, METHOD, 'an HTTP method name'), 64), IDEMPOTENT_METHODS as string[]),
  statuses: v.withDefault(v.arrayOf(v.integer(100, 599), 500), RETRYABLE_STATUSES as number[]),
  retryOn: v.withDefault(v.fn<(error: unknown) => boolean>('a function (error) => boolean'), isConnectionError),
  backoff: v.backoff({ baseMs: 25, maxMs: 250 }, 0),
  budget: v.optional(
    v.either(
      v.literal(false),
      v.either(
        v.satisfies<RetryBudget>((x) => x instanceof RetryBudget, 'a retryBudget()'),
        v.any as v.Check<RetryBudgetOptions>,
      ),
    ),
  ),
  clock: v.withDefault(v.clock, preciseClock),
  random: v.optional(v.random),
  onEvent: v.optional(v.fn<(event: RetryEvent) => void>()),
};

/** Validates retry()'s options (budget options are checked by retryBudget). */
function parseRetryOptions(options: RetryOptions | undefined) {
  const o = v.options(options, RETRY_OPTIONS, 'retry');
  return { ...o, random: randomOption('retry.random', o.random) };
}
