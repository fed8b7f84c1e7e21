/**
 * Registers (or replaces) a service instance with its checks, as the agent endpoint
 * `PUT /v1/agent/service/register` does (spec §6.1, §4.2, §4.4, §4.9).
 */
import type { CheckInput, InstanceInput } from '../catalog/types.js';
import { isMaintenanceCheck, type InstanceRecord } from '../catalog/types.js';
import type { Operation } from '../commit/committer.js';
import { assertChecksPerService } from './check-limit.js';

/** A decoded and validated service registration. */
export interface InstanceRegistration {
  readonly service: InstanceInput;
  /** Checks with their IDs derived and initial status set (`critical` unless given). */
  readonly checks: readonly CheckInput[];
  /** Remove the service's checks that are not in `checks` (`?replace-existing-checks`). */
  readonly replaceExistingChecks: boolean;
}

/**
 * The operation. Checks whose ID already exists keep their status and output (Consul snapshots
 * check state around a re-registration, so a re-register does not flap health). Maintenance
 * checks are never removed by `replaceExistingChecks`. The instance's checks, kept ones included,
 * must stay within the checks-per-service limit (400, nothing written).
 */
export function registerInstance(registration: InstanceRegistration): Operation<InstanceRecord> {
  return (batch) => {
    const { catalog } = batch;
    assertChecksPerService(
      catalog,
      registration.service.id,
      registration.checks.map((c) => c.id),
      !registration.replaceExistingChecks,
    );
    const record = batch.putInstance(registration.service);
    const keep = new Set<string>();
    for (const check of registration.checks) {
      keep.add(check.id);
      const existing = catalog.check(check.id);
      batch.putCheck(existing ? { ...check, status: existing.status, output: existing.output } : check);
    }
    if (registration.replaceExistingChecks) {
      for (const check of catalog.checksOf(record.id)) {
        if (!keep.has(check.id) && !isMaintenanceCheck(check.id)) batch.deleteCheck(check.id);
      }
    }
    return record;
  };
}
