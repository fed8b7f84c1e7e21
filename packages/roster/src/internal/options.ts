/**
 * The one options vocabulary of the library: tiny composable checks that validate an options
 * object once, at construction, and throw an `InvalidArgumentError` naming the option path
 * (`retry.budget.ratio`, `clock.clearTimeout`). Every export validates its options with these;
 * nothing else in the library hand-writes option checks.
 *
 * A check is `(value, path) => parsed`. `object({...})` refuses unknown keys and non-objects,
 * `optional(check)` lets `undefined` through, `withDefault(check, value)` fills it in.
 * Conventions (docs/decisions.md D45): every duration is milliseconds (a number) or a Go duration
 * string (`"10s"`), whatever the option's name; every timer is at most 2³¹−1 ms; `backoff` is
 * always `{ baseMs, maxMs }`; callbacks must be functions; a `Clock` must have its whole shape.
 */
import { type Clock, MAX_TIMER_MS } from '../clock.js';
import { toMilliseconds } from '../duration.js';
import { InvalidArgumentError } from '../errors.js';
import type { HealthStatus, Instance, InstanceFields, Snapshot } from '../model.js';
import type { BackoffSettings } from './backoff.js';

/** Validates `value` found at `path`; returns the parsed value or throws InvalidArgumentError(path, ...). */
export type Check<T> = (value: unknown, path: string) => T;

/** The parsed type of a shape of checks. */
export type Parsed<S extends Shape> = {
  -readonly [K in keyof S as undefined extends ReturnType<S[K]> ? never : K]: ReturnType<S[K]>;
} & { -readonly [K in keyof S as undefined extends ReturnType<S[K]> ? K : never]?: ReturnType<S[K]> };
/** A map from option name to its check. */
export type Shape = Readonly<Record<string, Check<unknown>>>;

/** `path.key`, or `key` at the top level. */
export function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

/** Throws InvalidArgumentError naming `path` (or `options` at the top level). */
export function fail(path: string, problem: string): never {
  throw new InvalidArgumentError(path === '' ? 'options' : path, problem);
}

/** A short description of a value for error messages (never its whole content). */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return value.length > 40 ? `${JSON.stringify(value.slice(0, 40))}…` : JSON.stringify(value);
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
    default: {
      const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
      return typeof name === 'string' && name !== 'Object' && name !== '' ? `a ${name}` : 'an object';
    }
  }
}

/** True for a non-null, non-array object (any prototype). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True for an object literal or `Object.create(null)`: not a Map, a class instance or an array. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** `undefined` passes as `undefined`; anything else goes through `check`. */
export function optional<T>(check: Check<T>): Check<T | undefined> {
  return (value, path) => (value === undefined ? undefined : check(value, path));
}

/** `undefined` becomes `fallback`; anything else goes through `check`. */
export function withDefault<T>(check: Check<T>, fallback: T): Check<T> {
  return (value, path) => (value === undefined ? fallback : check(value, path));
}

/** `undefined` becomes a fresh `make()` (for defaults that hold state); anything else goes through `check`. */
export function withFactory<T>(check: Check<T>, make: () => T): Check<T> {
  return (value, path) => (value === undefined ? make() : check(value, path));
}

/** One of several checks, tried in order; the error is the last one's unless `problem` is given. */
export function either<A, B>(a: Check<A>, b: Check<B>, problem?: string): Check<A | B> {
  return (value, path) => {
    try {
      return a(value, path);
    } catch {
      if (problem === undefined) return b(value, path);
      try {
        return b(value, path);
      } catch {
        return fail(path, `${problem}, got ${describe(value)}`);
      }
    }
  };
}

/** Exactly `literal` (e.g. `false` to switch a feature off). */
export function literal<T extends string | number | boolean | null>(expected: T): Check<T> {
  return (value, path) => (value === expected ? expected : fail(path, `must be ${JSON.stringify(expected)}, got ${describe(value)}`));
}

/**
 * An options object: a plain object whose keys are all in `shape`, each checked; unknown keys
 * are refused (a typo is an error, never silently ignored). Not undefined (wrap in
 * `optional`/`withDefault`, or use {@link options}). `open: true` checks only that it is an
 * object, for one passed on whole to a constructor that validates it itself.
 */
export function object<S extends Shape>(shape: S, settings: { readonly open?: boolean } = {}): Check<Parsed<S>> {
  const known = Object.keys(shape);
  return (value, path) => {
    if (!isObject(value)) return fail(path, `must be an options object, got ${describe(value)}`);
    if (settings.open === true) return value as Parsed<S>;
    for (const key of Object.keys(value)) {
      if (!Object.hasOwn(shape, key)) fail(join(path, key), `unknown option (known: ${known.join(', ')})`);
    }
    const out: Record<string, unknown> = {};
    for (const key of known) {
      const parsed = (shape[key] as Check<unknown>)(value[key], join(path, key));
      if (parsed !== undefined) out[key] = parsed;
    }
    return out as Parsed<S>;
  };
}

/**
 * Validates the options argument of an export: `undefined` means "all defaults", anything else
 * must be an object of `shape`. Returns the parsed options.
 */
export function options<S extends Shape>(value: unknown, shape: S, path = ''): Parsed<S> {
  return object(shape)(value === undefined ? {} : value, path);
}

/** A boolean. */
export const boolean: Check<boolean> = (value, path) =>
  typeof value === 'boolean' ? value : fail(path, `must be true or false, got ${describe(value)}`);

/** A function (a callback, a listener, a strategy's hook). */
export function fn<F extends (...args: never[]) => unknown>(what = 'a function'): Check<F> {
  return (value, path) => (typeof value === 'function' ? (value as F) : fail(path, `must be ${what}, got ${describe(value)}`));
}

/** A source of uniform numbers in [0, 1). */
export const random: Check<() => number> = fn('a function returning a number in [0, 1)');

/** A finite number in [min, max]. */
export function number(min: number, max: number): Check<number> {
  return (value, path) => {
    if (typeof value !== 'number' || Number.isNaN(value)) return fail(path, `must be a number, got ${describe(value)}`);
    if (!(value >= min && value <= max)) return fail(path, `must be between ${min} and ${max}, got ${value}`);
    return value;
  };
}

/** An integer in [min, max]. */
export function integer(min: number, max: number): Check<number> {
  const n = number(min, max);
  return (value, path) => {
    const v = n(value, path);
    return Number.isInteger(v) ? v : fail(path, `must be an integer, got ${v}`);
  };
}

/**
 * A duration in [minMs, maxMs]: milliseconds (a number) or a Go duration string (`"1.5s"`).
 * Returns milliseconds. `maxMs` defaults to the timer limit, 2³¹−1 ms.
 */
export function duration(minMs = 0, maxMs = MAX_TIMER_MS): Check<number> {
  return (value, path) => {
    const parsed = toMilliseconds(value);
    if (!parsed.ok) return fail(path, parsed.error);
    if (!(parsed.ms >= minMs && parsed.ms <= maxMs)) return fail(path, `must be between ${minMs} ms and ${maxMs} ms, got ${parsed.ms} ms`);
    return parsed.ms;
  };
}

/** A string of `min`–`max` characters, optionally matching `pattern` (described by `what`). */
export function string(min = 0, max = Number.MAX_SAFE_INTEGER, pattern?: RegExp, what?: string): Check<string> {
  return (value, path) => {
    if (typeof value !== 'string') return fail(path, `must be a string, got ${describe(value)}`);
    if (value.length < min || value.length > max) {
      return fail(
        path,
        min === 1 && value.length === 0 ? 'must not be empty' : `must be ${min}–${max} characters long, got ${value.length}`,
      );
    }
    if (pattern && !pattern.test(value)) return fail(path, `must be ${what ?? `like ${String(pattern)}`}, got ${describe(value)}`);
    return value;
  };
}

/** One of `values`. */
export function oneOf<const T extends string | number>(values: readonly T[]): Check<T> {
  return (value, path) =>
    (values as readonly unknown[]).includes(value)
      ? (value as T)
      : fail(path, `must be one of ${values.map((v) => JSON.stringify(v)).join(', ')}, got ${describe(value)}`);
}

/** An array of at most `max` items, each checked (holes are refused). */
export function arrayOf<T>(item: Check<T>, max = Number.MAX_SAFE_INTEGER): Check<T[]> {
  return (value, path) => {
    if (!Array.isArray(value)) return fail(path, `must be an array, got ${describe(value)}`);
    if (value.length > max) return fail(path, `must have at most ${max} items, got ${value.length}`);
    const out: T[] = [];
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) fail(join(path, i), 'must not be a hole in the array');
      out.push(item(value[i], join(path, i)));
    }
    return out;
  };
}

/** An object with the named methods (duck typing for injected dependencies). */
export function withMethods<T>(methods: readonly string[], what: string): Check<T> {
  return (value, path) => {
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null) {
      return fail(path, `must be ${what}, got ${describe(value)}`);
    }
    for (const m of methods) {
      if (typeof (value as Record<string, unknown>)[m] !== 'function')
        fail(join(path, m), `must be a function (${what} needs ${methods.join(', ')})`);
    }
    return value as T;
  };
}

/** A {@link Clock}: `now`, `setTimeout` and `clearTimeout`, all functions. */
export const clock: Check<Clock> = withMethods<Clock>(['now', 'setTimeout', 'clearTimeout'], 'a Clock ({ now, setTimeout, clearTimeout })');

/** An `AbortSignal` (a real one: roster listens to its `abort` event and reads `aborted`/`reason`). */
export const signal: Check<AbortSignal> = (value, path) =>
  value instanceof AbortSignal ? value : fail(path, `must be an AbortSignal, got ${describe(value)}`);

/**
 * The one shape of `backoff`: `{ baseMs, maxMs }`, minBaseMs ≤ baseMs ≤ maxMs ≤ 2³¹−1 ms (durations
 * accepted). `minBaseMs` is 1 for loops against a registry (0 would retry without pause).
 */
export function backoff(fallback: BackoffSettings, minBaseMs = 1): Check<BackoffSettings> {
  const shape = object({ baseMs: withDefault(duration(minBaseMs), fallback.baseMs), maxMs: optional(duration(minBaseMs)) });
  return (value, path) => {
    if (value === undefined) return fallback;
    const b = shape(value, path);
    const maxMs = b.maxMs ?? Math.max(fallback.maxMs, b.baseMs);
    if (maxMs < b.baseMs) fail(join(path, 'maxMs'), `must be ≥ baseMs (${b.baseMs}), got ${maxMs}`);
    return { baseMs: b.baseMs, maxMs };
  };
}

/** A URL string with one of `schemes` (each like `http:`); returns the parsed URL. */
export function url(schemes: readonly string[]): Check<URL> {
  return (value, path) => {
    if (typeof value !== 'string') return fail(path, `must be a URL string, got ${describe(value)}`);
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      return fail(path, `${describe(value)} is not a URL`);
    }
    if (!schemes.includes(parsed.protocol)) {
      fail(path, `scheme must be ${schemes.map((s) => `${s}//`).join(', ')}, got ${parsed.protocol}//`);
    }
    return parsed;
  };
}

/** One of the three health statuses. */
export const health: Check<HealthStatus> = oneOf(['passing', 'warning', 'critical']);

/** A record of string values (an instance's `meta`). */
export const stringRecord: Check<Readonly<Record<string, string>>> = (value, path) => {
  if (!isObject(value)) return fail(path, `must be an object of strings, got ${describe(value)}`);
  for (const [key, item] of Object.entries(value))
    if (typeof item !== 'string') fail(join(path, key), `must be a string, got ${describe(item)}`);
  return value as Record<string, string>;
};

const tags = arrayOf(string());
const anyNumber = number(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
/**
 * The fields every instance and normalized registration has ({@link InstanceFields}), checked for
 * type only (a value the library built itself always passes); other fields are left to the caller.
 */
export const instanceFields: Check<InstanceFields> = (value, path) => {
  if (!isObject(value)) return fail(path, `must be an instance object, got ${describe(value)}`);
  for (const key of ['id', 'service', 'address', 'zone'] as const) string()(value[key], join(path, key));
  anyNumber(value.port, join(path, 'port'));
  anyNumber(value.weight, join(path, 'weight'));
  tags(value.tags, join(path, 'tags'));
  stringRecord(value.meta, join(path, 'meta'));
  return value as unknown as InstanceFields;
};

/** An {@link Instance}: {@link instanceFields} and a `health`. */
export const instance: Check<Instance> = (value, path) => {
  instanceFields(value, path);
  health((value as Record<string, unknown>).health, join(path, 'health'));
  return value as Instance;
};

/** A {@link Snapshot}: `{ service, instances, revision }` with every instance checked. */
export const snapshot: Check<Snapshot> = (value, path) => {
  if (!isObject(value)) return fail(path, `must be a Snapshot, got ${describe(value)}`);
  string()(value.service, join(path, 'service'));
  anyNumber(value.revision, join(path, 'revision'));
  arrayOf(instance)(value.instances, join(path, 'instances'));
  return value as unknown as Snapshot;
};

/** Anything (for values checked elsewhere, e.g. by validateRegistration). */
export const any: Check<unknown> = (value) => value;

/** A value that `accept` recognises (e.g. an `instanceof` test), described by `what`. */
export function satisfies<T>(accept: (value: unknown) => boolean, what: string): Check<T> {
  return (value, path) => (accept(value) ? (value as T) : fail(path, `must be ${what}, got ${describe(value)}`));
}

/** The options of every Registry call that may wait (`{ signal }`). */
export const CALL_OPTIONS = { signal: optional(signal) };

/** The options of `Registry.watch` (`{ signal, onError, onReset, onRecover }`). */
export const WATCH_OPTIONS = {
  signal: optional(signal),
  onError: optional(fn<(error: Error) => void>('a function (error) => void')),
  onReset: optional(fn<() => void>('a function () => void')),
  onRecover: optional(fn<() => void>('a function () => void')),
};
