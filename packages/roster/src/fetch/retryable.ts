/**
 * What retry() considers safe and worth retrying by default: the methods, the statuses and
 * the errors. Each is a plain value or predicate, so an option can replace it.
 */
import { ErrorCode, isRosterError } from '../errors.js';
import type { RequestBody } from './transport.js';

/** Methods retried by default: idempotent by RFC 9110 §9.2.2 (POST and PATCH are not). */
export const IDEMPOTENT_METHODS: readonly string[] = Object.freeze(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/** Statuses retried by default: the gateway errors (another instance may well answer). */
export const RETRYABLE_STATUSES: readonly number[] = Object.freeze([502, 503, 504]);

/**
 * Error codes of a failure to reach an instance or to get its answer: connection refused,
 * reset, unreachable, undici's socket and connect/headers timeouts.
 */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
]);

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * The default error rule of retry(): true for connection failures (refused, reset, unreachable,
 * socket closed) and for roster's `TimeoutError` (an attempt ran out of time). Not for aborts,
 * invalid arguments or a closed client.
 */
export function isConnectionError(error: unknown): boolean {
  const code = codeOf(error);
  if (code !== undefined && CONNECTION_CODES.has(code)) return true;
  if (isRosterError(error)) return error.code === ErrorCode.Timeout;
  // Node wraps the attempts of happy-eyeballs connects in an AggregateError; undici wraps some causes.
  const cause = (error as { cause?: unknown } | null)?.cause;
  const causeCode = codeOf(cause);
  if (causeCode !== undefined && CONNECTION_CODES.has(causeCode)) return true;
  if (error instanceof AggregateError) return error.errors.some((e) => CONNECTION_CODES.has(codeOf(e) ?? ''));
  return false;
}

/** A short reason for logs and diagnostics: the error's code, else its name. */
export function failureReason(error: unknown): string {
  return codeOf(error) ?? (error instanceof Error ? error.name : 'error');
}

/** True when the body can be sent again (absent, a string or bytes); false for a stream. */
export function isReplayable(body: RequestBody | null | undefined): boolean {
  return body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array;
}
