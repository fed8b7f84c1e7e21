/**
 * Parsers of option values, for commander's `argParser`: each returns the parsed value or
 * throws commander's InvalidArgumentError, which commander reports naming the option
 * (`option '--port <port>' argument 'x' is invalid. …`) and ends with exit code 2.
 */
import { InvalidArgumentError } from 'commander';
import { parseGoDuration } from '@rosterjs/roster';

/** A TCP port callers connect to: an integer 1–65535. */
export function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65_535) throw new InvalidArgumentError('must be an integer 1-65535');
  return n;
}

/** A duration with a unit, as Go writes them (`500ms`, `10s`, `1m30s`); returned as is, validated. */
export function parseDuration(value: string): string {
  const parsed = parseGoDuration(value);
  if (!parsed.ok || parsed.ns <= 0n) throw new InvalidArgumentError('must be a positive duration with a unit, like 10s, 500ms or 1m');
  return value;
}

/** An integer 1–65535 (weights). */
export function parseWeight(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65_535) throw new InvalidArgumentError('must be an integer 1-65535');
  return n;
}

/** Repeatable `key=value`, collected into one object. */
export function collectKeyValue(value: string, previous: Readonly<Record<string, string>> = {}): Record<string, string> {
  const i = value.indexOf('=');
  if (i <= 0) throw new InvalidArgumentError('must be key=value');
  return { ...previous, [value.slice(0, i)]: value.slice(i + 1) };
}

/** Repeatable and comma-separated values, collected into one list. */
export function collectList(value: string, previous: readonly string[] = []): string[] {
  return [...previous, ...value.split(',').filter((v) => v !== '')];
}
