/** Registers (or replaces) a standalone check, as `PUT /v1/agent/check/register` does (spec §6.6). */
import type { CheckInput } from '../catalog/types.js';
import { type CheckRecord, SERF_HEALTH_CHECK_ID } from '../catalog/types.js';
import type { Operation } from '../commit/committer.js';
import { badRequest, notFound } from '../errors.js';
import { assertChecksPerService } from './check-limit.js';

/**
 * The operation. The check's service must exist (404 `ServiceID "x" does not exist`) and stay
 * within the checks-per-service limit (400); an existing check with the same ID keeps its status
 * and output.
 */
export function registerCheck(check: CheckInput): Operation<CheckRecord> {
  return (batch) => {
    const { catalog } = batch;
    if (check.id === SERF_HEALTH_CHECK_ID) throw badRequest(`Check ID "${SERF_HEALTH_CHECK_ID}" is reserved`);
    if (check.serviceId !== '' && !catalog.instance(check.serviceId)) throw notFound(`ServiceID "${check.serviceId}" does not exist`);
    assertChecksPerService(catalog, check.serviceId, [check.id], true);
    const existing = catalog.check(check.id);
    return batch.putCheck(existing ? { ...check, status: existing.status, output: existing.output } : check);
  };
}
