/**
 * How a finished gRPC call counts for the Balancer (peak EWMA, outlier ejection), the gRPC
 * counterpart of `balance()`'s "a response below 500 is ok". The status codes are mapped the way
 * Envoy maps them to HTTP for outlier detection: UNAVAILABLE → 503 and DEADLINE_EXCEEDED → 504
 * (gateway errors), INTERNAL, UNKNOWN and DATA_LOSS → 500. Every other code is the application
 * answering (NOT_FOUND, INVALID_ARGUMENT, …) and counts as ok; CANCELLED is the caller's doing.
 */
import { status } from '@grpc/grpc-js';
import type { CallOutcome } from '../balancer/balancer.js';

/** The HTTP status a failing gRPC status code stands for; undefined for codes that count as ok. */
export function httpStatusOf(code: number): number | undefined {
  switch (code) {
    case status.UNAVAILABLE:
      return 503;
    case status.DEADLINE_EXCEEDED:
      return 504;
    case status.INTERNAL:
    case status.UNKNOWN:
    case status.DATA_LOSS:
      return 500;
    default:
      return undefined;
  }
}

/** The outcome of a call that ended with `code` after `latencyMs`. */
export function grpcCallOutcome(code: number, latencyMs: number): CallOutcome {
  const http = httpStatusOf(code);
  return http === undefined ? { ok: true, latencyMs, status: 200 } : { ok: false, latencyMs, status: http };
}
