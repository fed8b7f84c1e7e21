/**
 * Translation between roster's model and Consul's JSON: a NormalizedRegistration becomes an
 * AgentServiceRegistration; a health/service ServiceEntry becomes an Instance.
 *
 * Mapping (documented in docs/consul.md): weight ↔ Weights.Passing; zone ↔ Meta.zone; every
 * registration gets one TTL check, the *self check* (`roster:<id>`), that carries the health the
 * instance reports (`Lease.setHealth`) and, when the registration has a `ttl`, its heartbeat.
 */
import { InvalidArgumentError } from '../../errors.js';
import * as v from '../../internal/options.js';
import { MAX_TIMER_MS } from '../../clock.js';
import { formatMs } from '../../duration.js';
import { type HealthStatus, type Instance, isHealthStatus, type NormalizedCheck, type NormalizedRegistration } from '../../model.js';

/** Meta key that carries `Instance.zone` in Consul. */
export const ZONE_META_KEY = 'zone';

/** The id of the self check of instance `id`. */
export const selfCheckId = (id: string): string => {
  if (typeof id !== 'string') throw new InvalidArgumentError('id', 'must be a string');
  return `roster:${id}`;
};

/** TTL of the self check of a registration without `ttl`: as long as Node's timers allow; the Lease renews it anyway. */
const UNBOUNDED_TTL_MS = MAX_TIMER_MS - (MAX_TIMER_MS % 1000);

/** Consul's JSON for one check definition. */
export type ConsulCheck = Record<string, unknown>;

function checkBody(check: NormalizedCheck): ConsulCheck {
  const body: ConsulCheck = { CheckID: check.id, Name: check.name, Status: check.status };
  if (check.deregisterCriticalAfterMs > 0) body.DeregisterCriticalServiceAfter = formatMs(check.deregisterCriticalAfterMs);
  if (check.successBeforePassing > 0) body.SuccessBeforePassing = check.successBeforePassing;
  if (check.failuresBeforeCritical > 0) body.FailuresBeforeCritical = check.failuresBeforeCritical;
  if (check.failuresBeforeWarning > 0) body.FailuresBeforeWarning = check.failuresBeforeWarning;
  switch (check.kind) {
    case 'http':
      return {
        ...body,
        HTTP: check.url,
        Method: check.method,
        ...(Object.keys(check.headers).length > 0 ? { Header: check.headers } : {}),
        Interval: formatMs(check.intervalMs),
        Timeout: formatMs(check.timeoutMs),
      };
    case 'tcp':
      return { ...body, TCP: check.target, Interval: formatMs(check.intervalMs), Timeout: formatMs(check.timeoutMs) };
    case 'ttl':
      return { ...body, TTL: formatMs(check.ttlMs) };
  }
}

/** Options of the encoding that are not part of the registration. */
export interface EncodeOptions {
  /** Health the self check starts with. */
  readonly health: HealthStatus;
  readonly output?: string;
  /** DeregisterCriticalServiceAfter of the self check of a TTL registration (ms). */
  readonly deregisterAfterMs: number;
}

const ENCODE_OPTIONS = {
  health: v.health,
  output: v.optional(v.string()),
  deregisterAfterMs: v.number(0, MAX_TIMER_MS),
};

/** One normalized check, as far as the encoding reads it (the durations are checked by formatMs). */
const normalizedCheck: v.Check<NormalizedCheck> = (value, path) => {
  if (!v.isObject(value)) return v.fail(path, `must be a normalized check, got ${v.describe(value)}`);
  v.oneOf(['http', 'tcp', 'ttl'])(value.kind, v.join(path, 'kind'));
  for (const key of ['id', 'name'] as const) v.string()(value[key], v.join(path, key));
  v.health(value.status, v.join(path, 'status'));
  if (value.kind === 'http') v.object({}, { open: true })(value.headers, v.join(path, 'headers'));
  return value as unknown as NormalizedCheck;
};

/**
 * The body of `PUT /v1/agent/service/register` for a registration (the output of
 * `validateRegistration`). @throws InvalidArgumentError naming the field of `reg` or `options`
 * that has the wrong type (`reg.port`, `options.health`).
 */
export function encodeRegistration(reg: NormalizedRegistration, options: EncodeOptions): Record<string, unknown> {
  v.instanceFields(reg, 'reg');
  v.number(0, MAX_TIMER_MS)(reg.ttlMs, 'reg.ttlMs');
  v.arrayOf(normalizedCheck)(reg.checks, 'reg.checks');
  v.object(ENCODE_OPTIONS)(options, 'options');
  const meta: Record<string, string> = { ...reg.meta };
  if (reg.zone !== '') meta[ZONE_META_KEY] = reg.zone;
  const self: ConsulCheck = {
    CheckID: selfCheckId(reg.id),
    Name: reg.ttlMs > 0 ? 'roster lease' : 'roster self check',
    Status: options.health,
    Notes: 'Health reported by the instance through its roster Lease.',
    TTL: formatMs(reg.ttlMs > 0 ? reg.ttlMs : UNBOUNDED_TTL_MS),
    ...(reg.ttlMs > 0 ? { DeregisterCriticalServiceAfter: formatMs(Math.max(options.deregisterAfterMs, reg.ttlMs)) } : {}),
  };
  return {
    ID: reg.id,
    Name: reg.service,
    Tags: reg.tags,
    Address: reg.address,
    Port: reg.port,
    Meta: meta,
    Weights: { Passing: reg.weight, Warning: 1 },
    Checks: [...reg.checks.map(checkBody), self],
  };
}

/** Ids of the checks a Lease renews: the self check and the registration's TTL checks. */
export function renewedCheckIds(reg: NormalizedRegistration): string[] {
  return [selfCheckId(reg.id), ...reg.checks.filter((c) => c.kind === 'ttl').map((c) => c.id)];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Aggregated health of a ServiceEntry's checks (node checks included), as Consul's Go client
 * computes it, with maintenance counted as critical.
 */
export function aggregateHealth(checks: unknown): HealthStatus {
  if (!Array.isArray(checks)) return 'passing';
  let worst: HealthStatus = 'passing';
  for (const c of checks) {
    if (!isObject(c)) continue;
    const id = String(c.CheckID ?? '');
    if (id === '_node_maintenance' || id.startsWith('_service_maintenance:')) return 'critical';
    const status = c.Status;
    if (!isHealthStatus(status) || status === 'critical') return 'critical';
    if (status === 'warning') worst = 'warning';
  }
  return worst;
}

/** One health/service entry as an Instance, or undefined when it is not a well-formed entry. */
export function decodeServiceEntry(entry: unknown): Instance | undefined {
  if (!isObject(entry) || !isObject(entry.Service)) return undefined;
  const svc = entry.Service;
  const node = isObject(entry.Node) ? entry.Node : {};
  const rawMeta = isObject(svc.Meta) ? svc.Meta : {};
  // fromEntries defines own data properties: a key `__proto__` stays a key, never a prototype.
  const meta: Record<string, string> = Object.fromEntries(
    Object.entries(rawMeta).filter((e): e is [string, string] => e[0] !== ZONE_META_KEY && typeof e[1] === 'string'),
  );
  const weights = isObject(svc.Weights) ? svc.Weights : {};
  const address = typeof svc.Address === 'string' && svc.Address !== '' ? svc.Address : String(node.Address ?? '');
  return {
    id: String(svc.ID ?? ''),
    service: String(svc.Service ?? ''),
    address,
    port: typeof svc.Port === 'number' ? svc.Port : 0,
    tags: Array.isArray(svc.Tags) ? svc.Tags.filter((t): t is string => typeof t === 'string') : [],
    meta,
    weight: typeof weights.Passing === 'number' && weights.Passing > 0 ? weights.Passing : 1,
    zone: typeof rawMeta[ZONE_META_KEY] === 'string' ? (rawMeta[ZONE_META_KEY] as string) : '',
    health: aggregateHealth(entry.Checks),
  };
}
