/**
 * Option checks shared by the balancer factories: each returns the value (or its default) and
 * throws `InvalidArgumentError(field, problem)` naming the option when it is out of range.
 * Internal to balancer/.
 */
import { getRandomValues } from 'node:crypto';
import * as o from '../internal/options.js';
import { mulberry32 } from './mulberry32.js';

/**
 * The default source of randomness of every strategy: one fast generator per process, seeded
 * from the OS. Not `Math.random`: on Node 20 each call of it allocates a heap number, which
 * would break the allocation-free pick.
 */
const defaultRandom = mulberry32(getRandomValues(new Uint32Array(1))[0]!);

/** A number in [min, max] (finite), or `fallback` when `value` is undefined. */
export function numberOption(field: string, value: unknown, fallback: number, min: number, max: number): number {
  return o.withDefault(o.number(min, max), fallback)(value, field);
}

/** An integer in [min, max], or `fallback` when `value` is undefined. */
export function integerOption(field: string, value: unknown, fallback: number, min: number, max: number): number {
  return o.withDefault(o.integer(min, max), fallback)(value, field);
}

/** A duration (milliseconds or a Go duration string like `"30s"`) in [minMs, maxMs], in milliseconds. */
export function durationOption(field: string, value: unknown, fallbackMs: number, minMs: number, maxMs: number): number {
  return o.withDefault(o.duration(minMs, maxMs), fallbackMs)(value, field);
}

/** A source of uniform numbers in [0, 1); a process-wide seeded generator when undefined. */
export function randomOption(field: string, value: unknown): () => number {
  const given = o.withDefault(o.random, defaultRandom)(value, field);
  if (given === defaultRandom) return given;
  // A user's generator that breaks its contract (42, NaN, a string) must not break a pick.
  return () => unitInterval(given());
}

/** `r` if it is in [0, 1); else its fractional part (NaN and non-numbers: 0). */
export function unitInterval(r: unknown): number {
  if (typeof r !== 'number' || !Number.isFinite(r)) return 0;
  if (r >= 0 && r < 1) return r;
  const f = r - Math.floor(r);
  return f < 1 ? f : 0;
}

/**
 * Throws unless `value` is undefined or an options object whose keys are all in `known` (a typo
 * is an error naming `field.key`, never silently ignored).
 */
export function optionsBag<T extends object>(field: string, value: T | undefined, known: readonly (keyof T & string)[]): Partial<T> {
  if (value === undefined) return {};
  if (!o.isObject(value)) o.fail(field, `must be an options object, got ${o.describe(value)}`);
  for (const key of Object.keys(value)) {
    if (!(known as readonly string[]).includes(key)) o.fail(o.join(field, key), `unknown option (known: ${known.join(', ')})`);
  }
  return value;
}
