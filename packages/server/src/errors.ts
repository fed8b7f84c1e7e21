/**
 * Errors of roster serve, and their registry. An ApiError is an expected refusal of a request: it
 * carries a stable `code` (documented in docs/errors.md) for logs and metrics, the HTTP status the
 * registry fixes for that code, and the exact text body Consul would send (clients string-match
 * some of them). A ServerError is a failure of the server itself (start-up, store).
 */

/** Stable error codes of the server. Never renamed; new ones may be added. */
export const ServerErrorCode = {
  BadRequest: 'ROSTER_SERVER_BAD_REQUEST',
  DecodeFailed: 'ROSTER_SERVER_DECODE_FAILED',
  InvalidService: 'ROSTER_SERVER_INVALID_SERVICE',
  InvalidCheck: 'ROSTER_SERVER_INVALID_CHECK',
  NotFound: 'ROSTER_SERVER_NOT_FOUND',
  NotTtl: 'ROSTER_SERVER_CHECK_NOT_TTL',
  MethodNotAllowed: 'ROSTER_SERVER_METHOD_NOT_ALLOWED',
  PermissionDenied: 'ROSTER_SERVER_PERMISSION_DENIED',
  AclNotFound: 'ROSTER_SERVER_ACL_NOT_FOUND',
  AclDisabled: 'ROSTER_SERVER_ACL_DISABLED',
  PayloadTooLarge: 'ROSTER_SERVER_PAYLOAD_TOO_LARGE',
  RequestTimeout: 'ROSTER_SERVER_REQUEST_TIMEOUT',
  TooManyConnections: 'ROSTER_SERVER_TOO_MANY_CONNECTIONS',
  TooManyHeldQueries: 'ROSTER_SERVER_TOO_MANY_HELD_QUERIES',
  NoPathToDatacenter: 'ROSTER_SERVER_NO_PATH_TO_DATACENTER',
  StoreFailed: 'ROSTER_SERVER_STORE_FAILED',
  ShuttingDown: 'ROSTER_SERVER_SHUTTING_DOWN',
  DataDirLocked: 'ROSTER_SERVER_DATA_DIR_LOCKED',
  ListenFailed: 'ROSTER_SERVER_LISTEN_FAILED',
  Internal: 'ROSTER_SERVER_INTERNAL',
  HeadersTooLarge: 'ROSTER_SERVER_HEADERS_TOO_LARGE',
  MalformedHttp: 'ROSTER_SERVER_MALFORMED_HTTP',
  CheckTargetRefused: 'ROSTER_SERVER_CHECK_TARGET_REFUSED',
  RateLimited: 'ROSTER_SERVER_RATE_LIMITED',
  ClientHeldQueries: 'ROSTER_SERVER_CLIENT_HELD_QUERIES',
  WatchStreamNotFound: 'ROSTER_SERVER_WATCH_STREAM_NOT_FOUND',
  TooManyWatches: 'ROSTER_SERVER_TOO_MANY_WATCHES',
  TooManyWatchStreams: 'ROSTER_SERVER_TOO_MANY_WATCH_STREAMS',
} as const;

/** One of the values of {@link ServerErrorCode}. */
export type ServerErrorCode = (typeof ServerErrorCode)[keyof typeof ServerErrorCode];

/**
 * The error registry: every code with the one HTTP status it is answered with (`undefined`: the
 * code never reaches HTTP, e.g. a start-up failure). docs/errors.md lists the same table; a test
 * checks both ways. A new code is added here, in {@link ServerErrorCode} and in the docs.
 */
export const SERVER_ERRORS = {
  [ServerErrorCode.BadRequest]: 400,
  [ServerErrorCode.DecodeFailed]: 400,
  [ServerErrorCode.InvalidService]: 400,
  [ServerErrorCode.InvalidCheck]: 400,
  [ServerErrorCode.MalformedHttp]: 400,
  [ServerErrorCode.CheckTargetRefused]: 400,
  [ServerErrorCode.TooManyWatches]: 400,
  [ServerErrorCode.AclDisabled]: 401,
  [ServerErrorCode.PermissionDenied]: 403,
  [ServerErrorCode.AclNotFound]: 403,
  [ServerErrorCode.NotFound]: 404,
  [ServerErrorCode.WatchStreamNotFound]: 404,
  [ServerErrorCode.MethodNotAllowed]: 405,
  [ServerErrorCode.RequestTimeout]: 408,
  [ServerErrorCode.PayloadTooLarge]: 413,
  [ServerErrorCode.RateLimited]: 429,
  [ServerErrorCode.ClientHeldQueries]: 429,
  [ServerErrorCode.HeadersTooLarge]: 431,
  // Consul answers 500 here, and clients match on it.
  [ServerErrorCode.NotTtl]: 500,
  [ServerErrorCode.NoPathToDatacenter]: 500,
  [ServerErrorCode.StoreFailed]: 500,
  [ServerErrorCode.Internal]: 500,
  [ServerErrorCode.TooManyConnections]: 503,
  [ServerErrorCode.TooManyHeldQueries]: 503,
  [ServerErrorCode.TooManyWatchStreams]: 503,
  [ServerErrorCode.ShuttingDown]: 503,
  [ServerErrorCode.DataDirLocked]: undefined,
  [ServerErrorCode.ListenFailed]: undefined,
} as const satisfies Record<ServerErrorCode, number | undefined>;

/** A code that is answered over HTTP (its registry status is a number). */
export type HttpErrorCode = {
  [C in ServerErrorCode]: (typeof SERVER_ERRORS)[C] extends number ? C : never;
}[ServerErrorCode];

/** The codes answered with one given status. */
export type CodeWithStatus<S extends number> = {
  [C in ServerErrorCode]: (typeof SERVER_ERRORS)[C] extends S ? C : never;
}[ServerErrorCode];

/** The HTTP status of a code, from the registry. */
export function statusOf(code: HttpErrorCode): number {
  return SERVER_ERRORS[code];
}

/**
 * A request the server refuses: answered with the registry's status for `code` and `message` as a
 * text/plain body.
 */
export class ApiError extends Error {
  /** HTTP status code of the answer (the registry's, for {@link code}). */
  readonly status: number;
  /** Stable machine-readable code. */
  readonly code: HttpErrorCode;
  /** Extra response headers (e.g. `Allow` on 405). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: HttpErrorCode, message: string, headers: Readonly<Record<string, string>> = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = statusOf(code);
    this.code = code;
    this.headers = headers;
  }
}

/** 400 with Consul's `Request decode failed: <detail>` wording. */
export function decodeFailed(detail: string): ApiError {
  return new ApiError(ServerErrorCode.DecodeFailed, `Request decode failed: ${detail}`);
}

/** 400 with a free text (Consul's wording where it has one). */
export function badRequest(message: string, code: CodeWithStatus<400> = ServerErrorCode.BadRequest): ApiError {
  return new ApiError(code, message);
}

/** 400 `Invalid check: <reason>`. */
export function invalidCheck(reason: string): ApiError {
  return new ApiError(ServerErrorCode.InvalidCheck, `Invalid check: ${reason}`);
}

/** 404 with a free text. */
export function notFound(message: string): ApiError {
  return new ApiError(ServerErrorCode.NotFound, message);
}

/** 404 for an unknown service ID on deregister and maintenance (Consul's wording). */
export function unknownServiceId(id: string): ApiError {
  return notFound(`Unknown service ID "${id}". Ensure that the service ID is passed, not the service name.`);
}

/** 404 for an unknown check ID (Consul's wording). */
export function unknownCheckId(id: string): ApiError {
  return notFound(`Unknown check ID "${id}". Ensure that the check ID is passed, not the check name.`);
}

/** 500 for a TTL update of a check that is not a TTL check (clients string-match this). */
export function notTtl(id: string): ApiError {
  return new ApiError(ServerErrorCode.NotTtl, `CheckID "${id}" does not have associated TTL`);
}

/** A failure of the server itself (store, start-up), not of one request. */
export class ServerError extends Error {
  /** Stable machine-readable code. */
  readonly code: ServerErrorCode;
  constructor(code: ServerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ServerError';
    this.code = code;
  }
}
