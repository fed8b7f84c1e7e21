/**
 * The contract between a check runner and whatever it runs. A probe performs one health test
 * (an HTTP request, a TCP connect, or a custom test) and reports the outcome as a value.
 */
import { formatMs } from '../duration.js';
import { TimeoutError } from '../errors.js';
import type { HealthStatus } from '../model.js';
import { safeString } from '../internal/safe-string.js';

/** The raw outcome of one probe, before thresholds are applied. */
export interface ProbeResult {
  /** `passing`, `warning` or `critical` as the probe saw it. */
  readonly status: HealthStatus;
  /** Human-readable detail in Consul's format (e.g. `HTTP GET <url>: 200 OK Output: ...`). */
  readonly output: string;
}

/**
 * Runs one health test.
 *
 * Contract:
 * - Called by a check runner, at most one call in flight per check.
 * - Never rejects: every failure (refused, reset, timeout, bad answer) is a `critical` result.
 * - Must settle promptly once `signal` aborts (the runner aborts it on timeout and on stop) and
 *   release every socket or handle it opened. When the abort reason is a `TimeoutError`
 *   (see {@link probeTimeout}), the result is `critical` and its output names the timeout.
 */
export type Probe = (signal: AbortSignal) => Promise<ProbeResult>;

/**
 * The abort reason a runner (or a probe's own timer) uses when a probe exceeds its time limit:
 * a `TimeoutError` whose message is `timed out after <Go duration>` (e.g. `timed out after 10s`).
 */
export function probeTimeout(timeoutMs: number): TimeoutError {
  return new TimeoutError(`timed out after ${formatMs(timeoutMs)}`);
}

/** Text for an aborted probe: the timeout message, or `aborted` for any other reason. */
export function abortText(reason: unknown): string {
  return reason instanceof TimeoutError ? reason.message : 'aborted';
}

/**
 * One line of text for an error from a socket or request: its message, or for an
 * `AggregateError` (Node tries every address of a host name) the messages of its parts.
 */
export function errorText(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    const parts = [...new Set(error.errors.map((e) => errorText(e)))];
    return error.message ? `${error.message}: ${parts.join('; ')}` : parts.join('; ');
  }
  if (error instanceof Error) return error.message || (error as NodeJS.ErrnoException).code || error.name;
  return safeString(error);
}
