/**
 * Reading a JSON request body the way Consul (Go's encoding/json) does: keys match exactly first,
 * then case-insensitively (`name` → `Name`), then by their snake_case aliases
 * (`enable_tag_override`). `null` means absent. Wrong JSON types are decode errors worded like
 * Go's, answered with 400 `Request decode failed: ...`.
 */
import { parseGoDuration } from '@rosterjs/roster';
import { decodeFailed } from '../../errors.js';

function jsonType(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'object';
  return typeof value;
}

const NO_ALIASES: readonly string[] = [];

/** Field names the decoders ask for (constants of the code), lower-cased once. */
const LOWER_NAMES = new Map<string, string>();

function lowerCase(name: string): string {
  let lower = LOWER_NAMES.get(name);
  if (lower === undefined) {
    lower = name.toLowerCase();
    // Bounded: only the decoders' own field names are looked up here, never a body's keys.
    if (LOWER_NAMES.size < 1024) LOWER_NAMES.set(name, lower);
  }
  return lower;
}

function lowerKeys(obj: Record<string, unknown>): Map<string, string> {
  const lower = new Map<string, string>();
  for (const key of Object.keys(obj)) {
    const l = key.toLowerCase();
    if (!lower.has(l)) lower.set(l, key);
  }
  return lower;
}

/** Parses a body as a JSON object. @throws ApiError 400 for an empty body, bad JSON or a non-object. */
export function parseJsonObject(body: Buffer | string | undefined, typeName: string): Fields {
  const text = body === undefined ? '' : body.toString();
  if (text.trim() === '') throw decodeFailed('EOF');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw decodeFailed((e as Error).message);
  }
  if (value === null) return new Fields({}, typeName);
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw decodeFailed(`json: cannot unmarshal ${jsonType(value)} into Go value of type ${typeName}`);
  }
  return new Fields(value as Record<string, unknown>, typeName);
}

/** Case-insensitive typed access to one JSON object. */
export class Fields {
  readonly #obj: Record<string, unknown>;
  /** Lower-cased key → the object's first key spelled that way; built at the first inexact lookup. */
  #lower: Map<string, string> | undefined;
  readonly #type: string;

  /** @param typeName the Go type name used in error messages (e.g. `structs.ServiceDefinition`). */
  constructor(obj: Record<string, unknown>, typeName: string) {
    this.#obj = obj;
    this.#type = typeName;
  }

  /** The raw value of a field (undefined when absent or null). */
  raw(name: string, ...aliases: string[]): unknown {
    return this.first(name, aliases);
  }

  /**
   * The raw value of the first of `name` and `aliases` present (undefined when none is, or null):
   * `name` spelled exactly, else each of them case-insensitively, in order.
   */
  first(name: string, aliases: readonly string[] = NO_ALIASES): unknown {
    const obj = this.#obj;
    let value: unknown;
    if (Object.hasOwn(obj, name)) value = obj[name];
    else {
      const lower = (this.#lower ??= lowerKeys(obj));
      let key = lower.get(lowerCase(name));
      for (let i = 0; key === undefined && i < aliases.length; i++) key = lower.get(lowerCase(aliases[i]!));
      if (key !== undefined) value = obj[key];
    }
    return value === null ? undefined : value;
  }

  /** True when some key of the object, lower-cased, is in `lowerNames` (whatever its value). */
  hasKeyIn(lowerNames: ReadonlySet<string>): boolean {
    const lower = (this.#lower ??= lowerKeys(this.#obj));
    for (const key of lower.keys()) if (lowerNames.has(key)) return true;
    return false;
  }

  /** True when the field is present with a non-null value. */
  has(name: string, ...aliases: string[]): boolean {
    return this.raw(name, ...aliases) !== undefined;
  }

  /** Every key of the object. */
  keys(): string[] {
    return Object.keys(this.#obj);
  }

  #wrong(name: string, value: unknown, goType: string): never {
    throw decodeFailed(`json: cannot unmarshal ${jsonType(value)} into Go struct field ${this.#type}.${name} of type ${goType}`);
  }

  string(name: string, ...aliases: string[]): string | undefined {
    const v = this.raw(name, ...aliases);
    if (v === undefined || typeof v === 'string') return v;
    return this.#wrong(name, v, 'string');
  }

  int(name: string, ...aliases: string[]): number | undefined {
    const v = this.raw(name, ...aliases);
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) return this.#wrong(name, v, 'int');
    return v;
  }

  bool(name: string, ...aliases: string[]): boolean | undefined {
    const v = this.raw(name, ...aliases);
    if (v === undefined || typeof v === 'boolean') return v;
    return this.#wrong(name, v, 'bool');
  }

  stringArray(name: string, ...aliases: string[]): string[] | undefined {
    const v = this.raw(name, ...aliases);
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) return this.#wrong(name, v, '[]string');
    for (const s of v) if (typeof s !== 'string') this.#wrong(name, s, 'string');
    return v as string[];
  }

  /** A JSON object with string values (`map[string]string`). */
  stringMap(name: string, ...aliases: string[]): Record<string, string> | undefined {
    const v = this.raw(name, ...aliases);
    if (v === undefined) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) return this.#wrong(name, v, 'map[string]string');
    for (const s of Object.values(v as object)) if (typeof s !== 'string') this.#wrong(name, s, 'string');
    return v as Record<string, string>;
  }

  /** A nested object. */
  object(name: string, goType: string, ...aliases: string[]): Fields | undefined {
    const v = this.raw(name, ...aliases);
    if (v === undefined) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) return this.#wrong(name, v, goType);
    return new Fields(v as Record<string, unknown>, goType);
  }

  /** An array of objects (null elements are kept as undefined). */
  objectArray(name: string, goType: string, ...aliases: string[]): (Fields | undefined)[] | undefined {
    const v = this.raw(name, ...aliases);
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) return this.#wrong(name, v, `[]${goType}`);
    return v.map((el) => {
      if (el === null) return undefined;
      if (typeof el !== 'object' || Array.isArray(el)) return this.#wrong(name, el, goType);
      return new Fields(el as Record<string, unknown>, goType);
    });
  }

  /**
   * A duration: a Go duration string or a number of nanoseconds. Returns milliseconds.
   * @throws ApiError 400 `Request decode failed: time: invalid duration "x"`.
   */
  duration(name: string, ...aliases: string[]): number | undefined {
    const v = this.raw(name, ...aliases);
    if (v === undefined) return undefined;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return this.#wrong(name, v, 'time.Duration');
      return v / 1_000_000;
    }
    if (typeof v !== 'string') return this.#wrong(name, v, 'time.Duration');
    const parsed = parseGoDuration(v);
    if (!parsed.ok) throw decodeFailed(parsed.error);
    return Number(parsed.ns) / 1_000_000;
  }
}
