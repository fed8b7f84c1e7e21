/**
 * undiciTransport(): the Transport at the bottom of every chain, one request through an undici
 * Dispatcher (`dispatcher.request({ origin, path })`: no URL parsing per request). It enforces
 * `request.deadline` with one timer on the injected clock, and turns the caller's abort into
 * `AbortedError`.
 */
import { type Dispatcher, getGlobalDispatcher } from 'undici';
import type { Clock } from '../clock.js';
import { AbortedError, TimeoutError } from '../errors.js';
import * as v from '../internal/options.js';
import { AbortTrigger } from './abort-trigger.js';
import { preciseClock } from './precise-clock.js';
import type { Transport, TransportRequest, TransportResponse } from './transport.js';

/** Options of {@link undiciTransport}. */
export interface UndiciTransportOptions {
  /** Where requests go (an `Agent` with keep-alive, a `Pool`, a `MockAgent`). Default: undici's global dispatcher. */
  readonly dispatcher?: Dispatcher;
  /** Clock of `request.deadline`. Default: the system clock with sub-millisecond `now()`. */
  readonly clock?: Clock;
}

type Signal = NonNullable<Dispatcher.RequestOptions['signal']>;

/**
 * Creates the Transport that sends requests with undici. It resolves at the response headers
 * (the body streams afterwards; undici's `bodyTimeout` bounds a stalled body), rejects with
 * `TimeoutError` when `request.deadline` passes first, with `AbortedError` when
 * `request.signal` aborts, and with undici's or the socket's error otherwise (codes such as
 * `ECONNREFUSED`, `UND_ERR_SOCKET`).
 */
export function undiciTransport(options: UndiciTransportOptions = {}): Transport {
  const o = v.options(options, {
    dispatcher: v.optional(v.withMethods<Dispatcher>(['request'], 'an undici Dispatcher')),
    clock: v.optional(v.clock),
  });
  const dispatcher = o.dispatcher ?? getGlobalDispatcher();
  const clock = o.clock ?? preciseClock;

  const send = async (req: TransportRequest, signal: Signal | undefined): Promise<TransportResponse> => {
    const data = await dispatcher.request({
      origin: req.origin,
      path: req.path,
      method: req.method as Dispatcher.HttpMethod,
      headers: req.headers as Dispatcher.RequestOptions['headers'],
      body: req.body ?? null,
      signal: signal ?? null,
    });
    return { status: data.statusCode, headers: data.headers, body: data.body, instance: req.instance };
  };

  const sendWithSignal = async (req: TransportRequest): Promise<TransportResponse> => {
    try {
      return await send(req, req.signal);
    } catch (error) {
      if (req.signal?.aborted) throw new AbortedError(req.signal.reason);
      throw error;
    }
  };

  const sendWithDeadline = async (req: TransportRequest, deadline: number): Promise<TransportResponse> => {
    const signal = req.signal;
    if (signal?.aborted) throw new AbortedError(signal.reason);
    const waitMs = deadline - clock.now();
    if (waitMs <= 0) throw timeoutError(req, 0);
    const trigger = new AbortTrigger();
    const timer = clock.setTimeout(() => trigger.abort(timeoutError(req, waitMs)), waitMs);
    const onAbort = signal ? () => trigger.abort(new AbortedError(signal.reason)) : undefined;
    if (onAbort) signal!.addEventListener('abort', onAbort, { once: true });
    try {
      const response = await send(req, trigger);
      clock.clearTimeout(timer);
      // The caller's signal still aborts the body; let go of it once the body is done.
      if (onAbort) response.body.once('close', () => signal!.removeEventListener('abort', onAbort));
      return response;
    } catch (error) {
      clock.clearTimeout(timer);
      if (onAbort) signal!.removeEventListener('abort', onAbort);
      throw trigger.aborted ? trigger.reason : error;
    }
  };

  return (req) => (req.deadline === undefined ? sendWithSignal(req) : sendWithDeadline(req, req.deadline));
}

function timeoutError(req: TransportRequest, ms: number): TimeoutError {
  return new TimeoutError(`${req.method} ${req.service}${req.path} (${req.origin}): no response within ${Math.round(ms)} ms`);
}
