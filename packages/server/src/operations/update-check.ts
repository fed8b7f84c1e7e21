/**
 * Status updates of a check: TTL pass/warn/fail/update from clients (spec §6.7, §6.8) and
 * results of the checks the server runs. A status change is committed with a new index; an
 * output-only change is applied in memory only (spec §4.4).
 */
import type { HealthStatus } from '@rosterjs/roster';
import { type CheckRecord, SERF_HEALTH_CHECK_ID } from '../catalog/types.js';
import type { Operation } from '../commit/committer.js';
import { notTtl, unknownCheckId } from '../errors.js';

/** Cuts `output` to at most `maxBytes` UTF-8 bytes (never splitting a character). */
export function truncateOutput(output: string, maxBytes: number): string {
  if (output.length <= maxBytes / 4) return output;
  const bytes = Buffer.from(output, 'utf8');
  if (bytes.length <= maxBytes) return output;
  return bytes
    .subarray(0, maxBytes)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
}

/** A client's TTL update: 404 for an unknown check, 500 (Consul's wording) for a non-TTL check. */
export function updateTtl(id: string, status: HealthStatus, output: string): Operation<CheckRecord> {
  return (batch) => {
    const check = id === SERF_HEALTH_CHECK_ID ? undefined : batch.catalog.check(id);
    if (!check) throw unknownCheckId(id);
    if (check.definition.type !== 'ttl') throw notTtl(id);
    return batch.putCheck({ ...check, status, output: truncateOutput(output, check.definition.outputMaxSize) });
  };
}

/**
 * A result of a check run by the server. Ignored (returns undefined) when the check is gone or
 * was replaced by a different definition since the run started (`expected` is the definition
 * the runner was started with).
 */
export function recordResult(
  id: string,
  expected: CheckRecord['definition'],
  status: HealthStatus,
  output: string,
): Operation<CheckRecord | undefined> {
  return (batch) => {
    const check = batch.catalog.check(id);
    if (!check || (check.definition !== expected && JSON.stringify(check.definition) !== JSON.stringify(expected))) return undefined;
    return batch.putCheck({ ...check, status, output: truncateOutput(output, check.definition.outputMaxSize) });
  };
}
