/**
 * Option checks shared by the balancer factories: each returns the value (or its default) and
 * throws `InvalidArgumentError(field, problem)` naming the option when it is out of range.
 * Internal to balancer/.
 */
import { getRandomValues } from 'node:crypto';
import { toMilliseconds } from '../duration.js';
import { InvalidArgumentError } from '../errors.js';
import { mulberry32 } from './mulberry32.js';

/**
 * The default source of randomness of every strategy: one fast generator per process, seeded
 * from the OS. Not `Math.random`: on Node 20 each call of it allocates a heap number, which
 * would break the allocation-free pick.
 */
const defaultRandom = mulberry32(getRandomValues(new Uint32Array(1))[0]!);

/** A number in [min, max] (finite), or `fallback` when `value` is undefined. */
export function numberOption(field: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new InvalidArgumentError(field, `must be a finite number, got ${show(value)}`);
  if (value < min || value > max) throw new InvalidArgumentError(field, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

/** An integer in [min, max], or `fallback` when `value` is undefined. */
export function integerOption(field: string, value: unknown, fallback: number, min: number, max: number): number {
  const n = numberOption(field, value, fallback, min, max);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(field, `must be an integer, got ${n}`);
  return n;
}

/** A duration (milliseconds or a Go duration string like `"30s"`) in [minMs, maxMs], in milliseconds. */
export function durationOption(field: string, value: unknown, fallbackMs: number, minMs: number, maxMs: number): number {
  if (value === undefined) return fallbackMs;
  const parsed = toMilliseconds(value);
  if (!parsed.ok) throw new InvalidArgumentError(field, parsed.error);
  if (parsed.ms < minMs || parsed.ms > maxMs)
    throw new InvalidArgumentError(field, `must be between ${minMs} ms and ${maxMs} ms, got ${parsed.ms} ms`);
  return parsed.ms;
}

/** A source of uniform numbers in [0, 1); a process-wide seeded generator when undefined. */
export function randomOption(field: string, value: unknown): () => number {
  if (value === undefined) return defaultRandom;
  if (typeof value !== 'function')
    throw new InvalidArgumentError(field, `must be a function returning a number in [0, 1), got ${show(value)}`);
  return value as () => number;
}

/** Throws unless `value` is undefined or a plain object (the options bag itself). */
export function optionsBag<T extends object>(field: string, value: T | undefined): Partial<T> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(field, `must be an options object, got ${show(value)}`);
  }
  return value;
}

function show(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object') return 'an object';
  return String(value);
}
