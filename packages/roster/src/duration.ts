/**
 * Durations in Go's syntax, as Consul and its clients write them (`10s`, `1m30s`, `120000ms`).
 * roster's own API takes milliseconds or such a string; the Consul wire uses nanoseconds.
 */
import { InvalidArgumentError } from './errors.js';

const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5 micro sign
  μs: 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const MAX_INT64 = (1n << 63n) - 1n;

/** The result of parsing: nanoseconds, or the reason it is not a duration (Go's wording). */
export type DurationParse = { readonly ok: true; readonly ns: bigint } | { readonly ok: false; readonly error: string };

/** Results of recent parses: registrations repeat a handful of durations (`10s`, `1m`). Bounded. */
const PARSED = new Map<string, DurationParse>();
const PARSED_MAX = 256;
const PARSED_INPUT_MAX = 32;

/**
 * Parses a Go duration string exactly as Go's `time.ParseDuration` does: an optional sign, then
 * one or more `<number>[.<fraction>]<unit>` groups; the bare `0` is valid, the empty string not.
 * The result is frozen (it may be shared by every caller that parsed the same string).
 */
export function parseGoDuration(input: string): DurationParse {
  if (typeof input !== 'string') return { ok: false, error: `time: invalid duration: not a string but ${typeof input}` };
  let parsed = PARSED.get(input);
  if (parsed === undefined) {
    parsed = Object.freeze(parseUncached(input));
    if (input.length <= PARSED_INPUT_MAX) {
      if (PARSED.size >= PARSED_MAX) PARSED.clear();
      PARSED.set(input, parsed);
    }
  }
  return parsed;
}

function parseUncached(input: string): DurationParse {
  const invalid = (): DurationParse => ({ ok: false, error: `time: invalid duration "${input}"` });
  let s = input;
  let negative = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return { ok: true, ns: 0n };
  if (s === '') return invalid();
  let total = 0n;
  while (s !== '') {
    const m = /^(\d*)(?:\.(\d*))?/.exec(s);
    const whole = m?.[1] ?? '';
    const frac = m?.[2];
    if (whole === '' && (frac === undefined || frac === '')) return invalid();
    s = s.slice(m?.[0].length ?? 0);
    const u = /^[^\d.]+/.exec(s)?.[0];
    if (u === undefined) return { ok: false, error: `time: missing unit in duration "${input}"` };
    const unit = UNIT_NS[u];
    if (unit === undefined) return { ok: false, error: `time: unknown unit "${u}" in duration "${input}"` };
    s = s.slice(u.length);
    let ns = BigInt(whole === '' ? '0' : whole) * unit;
    if (frac !== undefined && frac !== '') {
      // Go truncates the fraction toward zero at nanosecond precision.
      ns += (BigInt(frac) * unit) / 10n ** BigInt(frac.length);
    }
    total += ns;
    if (total > MAX_INT64 + (negative ? 1n : 0n)) return invalid();
  }
  return { ok: true, ns: negative ? -total : total };
}

/** Formats nanoseconds as Go's `Duration.String()` does: `0s`, `500ms`, `1.5s`, `1m30s`, `1h0m0s`. */
export function formatGoDuration(nanoseconds: bigint | number): string {
  let ns = typeof nanoseconds === 'bigint' ? nanoseconds : BigInt(Math.trunc(nanoseconds));
  if (ns === 0n) return '0s';
  const sign = ns < 0n ? '-' : '';
  if (ns < 0n) ns = -ns;
  const fraction = (value: bigint, digits: number): string => {
    const scale = 10n ** BigInt(digits);
    const whole = value / scale;
    const rest = (value % scale).toString().padStart(digits, '0').replace(/0+$/, '');
    return rest === '' ? whole.toString() : `${whole}.${rest}`;
  };
  if (ns < 1_000n) return `${sign}${ns}ns`;
  if (ns < 1_000_000n) return `${sign}${fraction(ns, 3)}µs`;
  if (ns < 1_000_000_000n) return `${sign}${fraction(ns, 6)}ms`;
  const hours = ns / 3_600_000_000_000n;
  ns -= hours * 3_600_000_000_000n;
  const minutes = ns / 60_000_000_000n;
  ns -= minutes * 60_000_000_000n;
  const seconds = `${fraction(ns, 9)}s`;
  if (hours > 0n) return `${sign}${hours}h${minutes}m${seconds}`;
  if (minutes > 0n) return `${sign}${minutes}m${seconds}`;
  return `${sign}${seconds}`;
}

/**
 * Milliseconds (possibly fractional) to Go's string form.
 * @throws InvalidArgumentError naming `ms` for anything but a finite number (beyond ±2⁶³ ns Go
 *   cannot write it either).
 */
export function formatMs(ms: number): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || Math.abs(ms) > 9.2e12) {
    throw new InvalidArgumentError('ms', `must be a finite number of milliseconds, got ${typeof ms === 'number' ? ms : typeof ms}`);
  }
  return formatGoDuration(BigInt(Math.round(ms * 1_000_000)));
}

/**
 * A duration given to roster's API: milliseconds as a number, or a Go duration string.
 * Returns milliseconds, or an error text naming what is wrong (the caller adds the field).
 */
export function toMilliseconds(value: unknown): { ok: true; ms: number } | { ok: false; error: string } {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { ok: false, error: `must be a finite number of milliseconds, got ${value}` };
    return { ok: true, ms: value };
  }
  if (typeof value === 'string') {
    const parsed = parseGoDuration(value);
    if (!parsed.ok) return parsed;
    return { ok: true, ms: Number(parsed.ns) / 1_000_000 };
  }
  return { ok: false, error: `must be milliseconds (number) or a duration string like "10s", got ${describe(value)}` };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
