/**
 * The update of a TTL check by its id over Consul's HTTP API (`PUT /v1/agent/check/<verb>/<id>`):
 * what a Lease's renewal sends for its self check, and what `roster pass / warn / fail` send for
 * any TTL check. The Registry contract has no check-id operations, so this is the Consul
 * backend's own export.
 */
import { InvalidArgumentError } from '../../errors.js';
import * as v from '../../internal/options.js';
import { capOutput } from '../kept-lease.js';
import { type HealthStatus, isHealthStatus } from '../../model.js';
import { validateId } from '../../validate.js';
import { type ConsulHttp, consulError } from './consul-http.js';
import { CONSUL_ADDRESS_OPTIONS, type ConsulAddressOptions, consulHttpFor } from './consul-url.js';

/** What the registry made of a TTL update: stored, no such check, or a check that is no TTL check. */
export type TtlCheckOutcome = 'updated' | 'not-found' | 'not-ttl';

const VERB: Record<HealthStatus, 'pass' | 'warn' | 'fail'> = { passing: 'pass', warning: 'warn', critical: 'fail' };

/** Sends one TTL update over an open ConsulHttp. @throws the mapped RosterError for any other answer. */
export async function sendTtlUpdate(
  http: ConsulHttp,
  checkId: string,
  status: HealthStatus,
  note: string,
  signal?: AbortSignal,
): Promise<TtlCheckOutcome> {
  const res = await http.send({
    method: 'PUT',
    path: `/v1/agent/check/${VERB[status]}/${encodeURIComponent(checkId)}`,
    query: { note },
    ...(signal ? { signal } : {}),
  });
  if (res.status === 200) return 'updated';
  if (res.status === 404) return 'not-found';
  // Consul answers 500 for a check that exists but is run by the registry (HTTP, TCP).
  if (res.status === 500 && /does not have associated TTL/.test(String(res.body))) return 'not-ttl';
  throw consulError(res.status, res.body, `update TTL check ${checkId}`);
}

const UPDATE_OPTIONS = { ...CONSUL_ADDRESS_OPTIONS, note: v.optional(v.string()), signal: v.optional(v.signal) };

/** Options of {@link updateTtlCheck}. */
export interface TtlCheckUpdateOptions extends ConsulAddressOptions {
  /** The check's output, shown with its status (default `''`). */
  readonly note?: string;
  readonly signal?: AbortSignal;
}

/**
 * Sets TTL check `checkId` (of any instance on that agent) to `status` on a Consul-API registry
 * (roster serve, Consul). Expected outcomes are values: `not-found`, `not-ttl`.
 * @throws InvalidArgumentError (bad `url` or check id), RegistryUnavailableError (unreachable,
 *   5xx; retryable), AccessDeniedError (token refused), AbortedError.
 */
export async function updateTtlCheck(checkId: string, status: HealthStatus, options: TtlCheckUpdateOptions = {}): Promise<TtlCheckOutcome> {
  validateId(checkId, 'checkId');
  if (!isHealthStatus(status))
    throw new InvalidArgumentError('status', `must be "passing", "warning" or "critical", got ${v.describe(status)}`);
  const o = v.options(options, UPDATE_OPTIONS);
  const http = consulHttpFor(o);
  try {
    return await sendTtlUpdate(http, checkId, status, capOutput(o.note ?? ''), o.signal);
  } finally {
    await http.close();
  }
}
