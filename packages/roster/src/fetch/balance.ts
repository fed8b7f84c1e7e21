/**
 * balance(): sends each attempt to one instance of the service. It picks with the Balancer's
 * current picker (never waiting, never doing I/O), rewrites the logical origin to the
 * instance's address, and reports how the attempt went back to the Balancer, which feeds
 * least-request, peak EWMA and outlier ejection.
 */
import type { Balancer, CallOutcome, Picker } from '../balancer/balancer.js';
import type { Clock } from '../clock.js';
import { ErrorCode, InvalidArgumentError, isRosterError, NoInstancesError } from '../errors.js';
import type { Instance } from '../model.js';
import * as v from '../internal/options.js';
import { preciseClock } from './precise-clock.js';
import type { Middleware, Transport, TransportRequest, TransportResponse } from './transport.js';

/** Options of {@link balance}. */
export interface BalanceOptions {
  /** Clock that measures latency (to the response headers). Default: the system clock, sub-millisecond. */
  readonly clock?: Clock;
  /** Told about every finished attempt, after the Balancer (for per-instance counters). Must not throw. */
  readonly onOutcome?: (instance: Instance, outcome: CallOutcome) => void;
}

/**
 * Creates the middleware that balances over `balancer` (one per service). Per attempt:
 * 1. picks an instance: `picker.pick(request.key)`; on a retry (`request.attempts` from
 *    `retry()`), one this call has not tried: another pick, or for a key (consistent hashing,
 *    which would pick the same one again) the next untried one of `picker.instances`;
 * 2. rejects with `NoInstancesError` when there is none (the pool is empty, or every instance
 *    was tried);
 * 3. calls `start`, sends the request to `http(s)://address:port` with the same path, and
 *    calls `finish` with the outcome: ok when the status is below 500; a transport error or
 *    timeout is a failure without status (a gateway error for outlier ejection); an abort by
 *    the caller counts as ok, since the instance did nothing wrong. Latency: to the headers.
 * @throws InvalidArgumentError when `balancer` is not a Balancer.
 */
export function balance(balancer: Balancer, options?: BalanceOptions): Middleware {
  if (typeof balancer !== 'object' || balancer === null || typeof balancer.start !== 'function' || typeof balancer.finish !== 'function') {
    throw new InvalidArgumentError('balancer', 'must be a Balancer (createBalancer({...}))');
  }
  const { clock, onOutcome } = v.options(
    options,
    { clock: v.withDefault(v.clock, preciseClock), onOutcome: v.optional(v.fn<NonNullable<BalanceOptions['onOutcome']>>()) },
    'balance',
  );
  let cursor = 0;

  return (next: Transport): Transport =>
    async (req: TransportRequest): Promise<TransportResponse> => {
      const picker = balancer.picker;
      const attempts = req.attempts;
      const instance =
        attempts === undefined || attempts.tried.length === 0
          ? picker.pick(req.key)
          : pickUntried(picker, req.key, attempts.tried, cursor++);
      if (attempts !== undefined) attempts.picker = picker;
      if (instance === undefined) {
        throw new NoInstancesError(req.service, picker.instances.length === 0 ? 'no healthy instance' : 'every instance was tried');
      }
      attempts?.tried.push(instance.id);
      balancer.start(instance);
      const started = clock.now();
      let outcome: CallOutcome | undefined;
      try {
        const response = await next({ ...req, origin: originOf(req.origin, instance), instance });
        outcome = { ok: response.status < 500, latencyMs: clock.now() - started, status: response.status };
        return response;
      } catch (error) {
        outcome = { ok: isRosterError(error) && error.code === ErrorCode.Aborted, latencyMs: clock.now() - started };
        throw error;
      } finally {
        balancer.finish(instance, outcome!);
        onOutcome?.(instance, outcome!);
      }
    };
}

/** An instance not in `tried`: a few more picks (rotation, randomness), then a scan from a moving start. */
function pickUntried(picker: Picker, key: string | undefined, tried: readonly string[], cursor: number): Instance | undefined {
  // With a key, a key-affine picker answers the same instance every time: go straight to the scan.
  if (key === undefined) {
    for (let i = 0; i < 3; i++) {
      const candidate = picker.pick();
      if (candidate === undefined) return undefined;
      if (!tried.includes(candidate.id)) return candidate;
    }
  }
  const list = picker.instances;
  const n = list.length;
  for (let i = 0; i < n; i++) {
    const candidate = list[(cursor + i) % n]!;
    if (!tried.includes(candidate.id)) return candidate;
  }
  return undefined;
}

/** `http://10.0.0.7:8080` for the logical `http://orders`; IPv6 addresses in brackets. */
function originOf(logical: string, instance: Instance): string {
  const scheme = logical.charCodeAt(4) === 115 /* https */ ? 'https://' : 'http://';
  const host = instance.address.includes(':') ? `[${instance.address}]` : instance.address;
  return `${scheme}${host}:${instance.port}`;
}
