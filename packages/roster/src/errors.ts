/**
 * Errors thrown by roster. Every error carries a stable `code` (documented in docs/errors.md),
 * an optional `cause`, and `retryable`: whether the same call may succeed if tried again later.
 *
 * Expected outcomes (nothing to deregister, no instance to pick) are values, not exceptions;
 * these classes are for calls that cannot do what was asked.
 */

import { safeString } from './internal/safe-string.js';

const BRAND = Symbol.for('roster.error');

/** Stable error codes. Never renamed; new ones may be added. */
export const ErrorCode = {
  InvalidArgument: 'ROSTER_ERR_INVALID_ARGUMENT',
  NotFound: 'ROSTER_ERR_NOT_FOUND',
  NoInstances: 'ROSTER_ERR_NO_INSTANCES',
  RegistryUnavailable: 'ROSTER_ERR_REGISTRY_UNAVAILABLE',
  LeaseLost: 'ROSTER_ERR_LEASE_LOST',
  Timeout: 'ROSTER_ERR_TIMEOUT',
  RetriesExhausted: 'ROSTER_ERR_RETRIES_EXHAUSTED',
  Closed: 'ROSTER_ERR_CLOSED',
  Aborted: 'ROSTER_ERR_ABORTED',
  AccessDenied: 'ROSTER_ERR_ACCESS_DENIED',
} as const;

/** One of the values of {@link ErrorCode}. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Options shared by every roster error. */
export interface RosterErrorOptions {
  /** The underlying error, if any. */
  cause?: unknown;
}

/** Base class of every error roster throws. */
export class RosterError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /** True when the same call may succeed if retried later (the failure is transient). */
  readonly retryable: boolean;
  declare readonly [BRAND]: true;

  constructor(code: ErrorCode, message: string, retryable: boolean, options: RosterErrorOptions = {}) {
    // safeString(): a message or option of the wrong type (a Symbol, null options) must not turn
    // the error being built into a TypeError.
    const cause = typeof options === 'object' && options !== null ? options.cause : undefined;
    super(safeString(message), cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = retryable;
    Object.defineProperty(this, BRAND, { value: true, enumerable: false });
  }
}

/**
 * True for any roster error, also one created by another copy of the library
 * (two versions in one node_modules): the check uses a global symbol, not `instanceof`.
 */
export function isRosterError(value: unknown): value is RosterError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** An argument or option is invalid. `field` names it (dotted path, e.g. `checks[0].interval`). */
export class InvalidArgumentError extends RosterError {
  /** Path of the offending field, e.g. `port` or `checks[1].timeout`. */
  readonly field: string;
  constructor(field: string, problem: string, options?: RosterErrorOptions) {
    super(ErrorCode.InvalidArgument, `${safeString(field)}: ${safeString(problem)}`, false, options);
    this.field = safeString(field);
  }
}

/** The named thing (service instance, check) does not exist in the registry. */
export class NotFoundError extends RosterError {
  constructor(message: string, options?: RosterErrorOptions) {
    super(ErrorCode.NotFound, message, false, options);
  }
}

/** A pick found no usable instance of the service. Retryable: instances may come back. */
export class NoInstancesError extends RosterError {
  readonly service: string;
  constructor(service: string, detail = 'no healthy instance', options?: RosterErrorOptions) {
    super(ErrorCode.NoInstances, `${safeString(service)}: ${safeString(detail)}`, true, options);
    this.service = safeString(service);
  }
}

/** The registry could not be reached or answered with a server error. Retryable. */
export class RegistryUnavailableError extends RosterError {
  constructor(message: string, options?: RosterErrorOptions) {
    super(ErrorCode.RegistryUnavailable, message, true, options);
  }
}

/** A Lease ended and will not be restored (see `Lease.lost`). */
export class LeaseLostError extends RosterError {
  constructor(message: string, options?: RosterErrorOptions) {
    super(ErrorCode.LeaseLost, message, false, options);
  }
}

/** An operation did not finish within its time limit. Retryable. */
export class TimeoutError extends RosterError {
  constructor(message: string, options?: RosterErrorOptions) {
    super(ErrorCode.Timeout, message, true, options);
  }
}

/** Every allowed attempt failed; `cause` is the last failure, `attempts` how many were made. */
export class RetriesExhaustedError extends RosterError {
  readonly attempts: number;
  constructor(attempts: number, options?: RosterErrorOptions) {
    super(ErrorCode.RetriesExhausted, `all ${safeString(attempts)} attempts failed`, false, options);
    this.attempts = attempts;
  }
}

/** The registry client (or another resource) was closed before or during the call. */
export class ClosedError extends RosterError {
  constructor(what = 'registry') {
    super(ErrorCode.Closed, `${safeString(what)} is closed`, false);
  }
}

/** The caller's AbortSignal fired. `cause` is the signal's reason. */
export class AbortedError extends RosterError {
  constructor(reason?: unknown) {
    super(ErrorCode.Aborted, 'operation aborted', false, { cause: reason });
  }
}

/** The registry refused the credentials (wrong password or token) or the permission for the call. */
export class AccessDeniedError extends RosterError {
  constructor(message: string, options?: RosterErrorOptions) {
    super(ErrorCode.AccessDenied, message, false, options);
  }
}
