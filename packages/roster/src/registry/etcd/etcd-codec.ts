/**
 * The etcd key schema and value format (documented in docs/etcd.md, stable: other programs,
 * `etcdctl get --prefix /roster/` and Go clientv3 readers, depend on it).
 *
 *   key   `<prefix><service>/<percent-encoded id>`   e.g. `/roster/services/orders/orders-1`
 *   value JSON: `{"schema":1,"id":…,"service":…,"address":…,"port":…,"tags":[…],"meta":{…},
 *                 "weight":…,"zone":…,"health":…,"output":…}`
 *
 * The key is the source of truth for service and id; the value repeats them for readers that
 * only look at values. Values that cannot be decoded are skipped by readers, never fatal.
 */
import { InvalidArgumentError } from '../../errors.js';
import * as v from '../../internal/options.js';
import { type HealthStatus, type Instance, type InstanceFields, isHealthStatus } from '../../model.js';

/** The version of the value format written by this code. Readers accept any version ≥ 1. */
export const ETCD_VALUE_SCHEMA = 1;

/** The default key prefix. */
export const DEFAULT_ETCD_PREFIX = '/roster/services/';

/** The JSON stored as the value of an instance key (schema 1). */
export interface EtcdInstanceValue extends InstanceFields {
  /** Value format version ({@link ETCD_VALUE_SCHEMA}). */
  readonly schema: number;
  /** Self-reported health (etcd runs no checks). */
  readonly health: HealthStatus;
  /** Free text that came with the last health report; `''` when none. */
  readonly output: string;
}

/** Key of one instance: `<prefix><service>/<encodeURIComponent(id)>` (ids may contain `/`). */
export function instanceKey(prefix: string, service: string, id: string): string {
  if (typeof prefix !== 'string') throw new InvalidArgumentError('prefix', 'must be a string');
  if (typeof service !== 'string') throw new InvalidArgumentError('service', 'must be a string');
  if (typeof id !== 'string') throw new InvalidArgumentError('id', 'must be a string');
  return `${servicePrefix(prefix, service)}${encodeURIComponent(id)}`;
}

/** Prefix of all keys of one service: `<prefix><service>/`. */
export function servicePrefix(prefix: string, service: string): string {
  if (typeof prefix !== 'string') throw new InvalidArgumentError('prefix', 'must be a string');
  if (typeof service !== 'string') throw new InvalidArgumentError('service', 'must be a string');
  return `${prefix}${service}/`;
}

/** Splits a key under `prefix` into service and id; undefined for keys that do not follow the schema. */
export function parseInstanceKey(prefix: string, key: string): { service: string; id: string } | undefined {
  if (typeof prefix !== 'string') throw new InvalidArgumentError('prefix', 'must be a string');
  if (typeof key !== 'string') throw new InvalidArgumentError('key', 'must be a string');
  if (!key.startsWith(prefix)) return undefined;
  const rest = key.slice(prefix.length);
  const slash = rest.indexOf('/');
  if (slash <= 0 || slash === rest.length - 1) return undefined;
  const encoded = rest.slice(slash + 1);
  if (encoded.includes('/')) return undefined;
  try {
    return { service: rest.slice(0, slash), id: decodeURIComponent(encoded) };
  } catch {
    return undefined;
  }
}

/**
 * The value written for `instance` with the given self-reported health and output.
 * @throws InvalidArgumentError naming `instance` (or its field), `health` or `output` when of the wrong type.
 */
export function encodeInstanceValue(instance: Instance, health: HealthStatus, output: string): string {
  v.instanceFields(instance, 'instance');
  v.health(health, 'health');
  v.string()(output, 'output');
  const value: EtcdInstanceValue = {
    schema: ETCD_VALUE_SCHEMA,
    id: instance.id,
    service: instance.service,
    address: instance.address,
    port: instance.port,
    tags: instance.tags,
    meta: instance.meta,
    weight: instance.weight,
    zone: instance.zone,
    health,
    output,
  };
  return JSON.stringify(value);
}

const isStringRecord = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');

/**
 * Decodes a value stored under the key of `service`/`id`. Lenient with what other writers omit
 * (tags, meta, weight, zone, health default as for a registration; a missing health is
 * `passing`, an unknown one `critical`); undefined when the value is unusable (no JSON object,
 * no address or port, schema < 1).
 */
export function decodeInstanceValue(service: string, id: string, raw: string): Instance | undefined {
  let v: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    v = parsed as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof v.schema !== 'number' || v.schema < 1) return undefined;
  if (typeof v.address !== 'string' || v.address.length === 0) return undefined;
  if (typeof v.port !== 'number' || !Number.isInteger(v.port) || v.port < 1 || v.port > 65_535) return undefined;
  const health: HealthStatus = v.health === undefined ? 'passing' : isHealthStatus(v.health) ? v.health : 'critical';
  return {
    id,
    service,
    address: v.address,
    port: v.port,
    tags: Array.isArray(v.tags) ? v.tags.filter((t): t is string => typeof t === 'string') : [],
    meta: isStringRecord(v.meta) ? v.meta : {},
    weight: typeof v.weight === 'number' && Number.isInteger(v.weight) && v.weight >= 1 ? v.weight : 1,
    zone: typeof v.zone === 'string' ? v.zone : '',
    health,
  };
}

/** The first key after every key that starts with `prefix` (etcd's `range_end` of a prefix query). */
export function prefixRangeEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if ((end[i] as number) < 0xff) {
      end[i] = (end[i] as number) + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]); // all 0xff: to the end of the key space
}
