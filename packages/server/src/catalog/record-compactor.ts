/**
 * The compact in-memory layout of catalog records (issue 18, memory): parts that many records
 * have in common — service names, addresses, tag lists, meta maps, tagged addresses, weights,
 * check names, notes and definitions — are shared between records instead of each record
 * carrying its own copy as decoded from its request. Shared parts are frozen (records are
 * immutable anyway). Each kind of part goes through a bounded {@link Interner}, so unique values
 * cost no more than a bounded table. A compacted record is equal (field by field, deeply) to the
 * record it was made from, with one hidden class per record kind. Records given to the catalog
 * come either fresh from a decoder (nothing frozen) or copied from a stored record (its shared
 * parts frozen): a frozen part is taken as it is, so such a copy costs no lookups.
 */
import { Interner } from './interner.js';
import type { CheckDefinition, CheckRecord, InstanceRecord, TaggedAddress, Weights } from './types.js';

const NO_TAGS: readonly string[] = Object.freeze([]);
const NO_MAP: Readonly<Record<string, never>> = Object.freeze({});
const DEFAULT_WEIGHTS: Weights = Object.freeze({ passing: 1, warning: 1 });

/** Shares the common parts of records (see the file comment). */
export class RecordCompactor {
  readonly #strings: Interner<string>;
  readonly #tags: Interner<readonly string[]>;
  readonly #maps: Interner<Readonly<Record<string, string>>>;
  readonly #tagged: Interner<Readonly<Record<string, TaggedAddress>>>;
  readonly #weights: Interner<Weights>;
  readonly #definitions: Interner<CheckDefinition>;

  /** @param limit entries per generation of each interner. */
  constructor(limit = 4096) {
    this.#strings = new Interner(limit);
    this.#tags = new Interner(limit);
    this.#maps = new Interner(limit);
    this.#tagged = new Interner(limit);
    this.#weights = new Interner(limit);
    this.#definitions = new Interner(limit);
  }

  /** A string equal to `s`, shared with earlier equal strings. */
  string(s: string): string {
    return s === '' ? '' : this.#strings.intern(s, () => s);
  }

  /** An instance record equal to `r` whose parts are shared. */
  instance(r: InstanceRecord): InstanceRecord {
    return {
      id: r.id,
      name: this.string(r.name),
      tags: this.#tagList(r.tags),
      address: this.string(r.address),
      port: r.port,
      meta: this.#map(r.meta),
      taggedAddresses: this.#taggedAddresses(r.taggedAddresses),
      weights: this.#weightsOf(r.weights),
      enableTagOverride: r.enableTagOverride,
      createIndex: r.createIndex,
      modifyIndex: r.modifyIndex,
    };
  }

  /** A check record equal to `c` whose name, notes and definition are shared. */
  check(c: CheckRecord): CheckRecord {
    return {
      id: c.id,
      name: this.string(c.name),
      notes: this.string(c.notes),
      serviceId: c.serviceId,
      status: c.status,
      output: c.output,
      definition: Object.isFrozen(c.definition)
        ? c.definition
        : this.#definitions.intern(JSON.stringify(c.definition), () => freezeDeep(c.definition)),
      createIndex: c.createIndex,
      modifyIndex: c.modifyIndex,
    };
  }

  /** Forgets every shared value (records made before keep theirs). */
  clear(): void {
    for (const i of [this.#strings, this.#tags, this.#maps, this.#tagged, this.#weights, this.#definitions]) i.clear();
  }

  #tagList(tags: readonly string[]): readonly string[] {
    if (tags.length === 0) return NO_TAGS;
    if (Object.isFrozen(tags)) return tags; // already shared (a record made from a stored one)
    return this.#tags.intern(JSON.stringify(tags), () => Object.freeze(tags.map((t) => this.string(t))));
  }

  #map(m: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
    if (Object.isFrozen(m)) return m;
    const key = JSON.stringify(m);
    if (key === '{}') return NO_MAP;
    return this.#maps.intern(key, () => {
      // fromEntries defines own properties, so a user key `__proto__` stays a key, never a prototype.
      const out: Record<string, string> = Object.fromEntries(Object.entries(m).map(([k, v]) => [this.string(k), this.string(v)]));
      return Object.freeze(out);
    });
  }

  #taggedAddresses(t: Readonly<Record<string, TaggedAddress>>): Readonly<Record<string, TaggedAddress>> {
    if (Object.isFrozen(t)) return t;
    const key = JSON.stringify(t);
    if (key === '{}') return NO_MAP;
    return this.#tagged.intern(key, () => freezeDeep(t));
  }

  #weightsOf(w: Weights): Weights {
    if (w.passing === 1 && w.warning === 1) return DEFAULT_WEIGHTS;
    return this.#weights.intern(`${w.passing}/${w.warning}`, () => Object.freeze({ passing: w.passing, warning: w.warning }));
  }
}

/** A frozen deep copy of a JSON-like value. */
function freezeDeep<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  const copy = (
    Array.isArray(value) ? value.map(freezeDeep) : Object.fromEntries(Object.entries(value).map(([k, v]) => [k, freezeDeep(v)]))
  ) as T;
  return Object.freeze(copy);
}
