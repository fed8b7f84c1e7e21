/** Parsing of `?index` and `?wait` (spec §5.1) into what a held query needs. */
import { parseGoDuration } from '@rosterjs/roster';
import { badRequest } from '../errors.js';

/** Default hold when `wait` is absent: 5 minutes. */
export const DEFAULT_WAIT_MS = 5 * 60_000;
/** Longest hold: 10 minutes (plus jitter). */
export const MAX_WAIT_MS = 10 * 60_000;
/** Jitter is random in [0, wait / JITTER_FRACTION). */
export const JITTER_FRACTION = 16;

/** A blocking request: `index` 0 means "answer at once". */
export interface BlockingParams {
  readonly index: number;
  /** Hold time including jitter, in milliseconds. */
  readonly waitMs: number;
}

/**
 * Reads `index` and `wait` from the query (first value of each, as Go's `Query().Get`).
 * `random` returns a number in [0, 1) (injectable for tests).
 * @throws ApiError 400 `Invalid wait time` / `Invalid index`.
 */
export function parseBlockingParams(query: URLSearchParams, random: () => number = Math.random): BlockingParams {
  let waitMs = DEFAULT_WAIT_MS;
  const wait = query.get('wait');
  if (wait !== null && wait !== '') {
    const parsed = parseGoDuration(wait);
    if (!parsed.ok) throw badRequest('Invalid wait time');
    const ms = Number(parsed.ns / 1_000_000n);
    waitMs = ms > MAX_WAIT_MS ? MAX_WAIT_MS : ms <= 0 ? DEFAULT_WAIT_MS : ms;
  }
  let index = 0;
  const raw = query.get('index');
  if (raw !== null && raw !== '') {
    // Go's strconv.ParseUint: decimal digits only, at most 2^64-1.
    if (!/^\d+$/.test(raw)) throw badRequest('Invalid index');
    const big = BigInt(raw);
    if (big > 0xffff_ffff_ffff_ffffn) throw badRequest('Invalid index');
    index = big > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(big);
  }
  return { index, waitMs: waitMs + Math.floor(random() * (waitMs / JITTER_FRACTION)) };
}
