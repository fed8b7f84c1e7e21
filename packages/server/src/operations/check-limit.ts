/**
 * The limit on checks per service instance (LIMITS.checksMax, the same number as per
 * registration): checks attached later with `/v1/agent/check/register`, kept across a
 * re-registration, or written through the catalog count too. Maintenance checks do not count.
 */
import { LIMITS } from '@rosterjs/roster';
import type { Catalog } from '../catalog/catalog.js';
import { isMaintenanceCheck } from '../catalog/types.js';
import { invalidCheck } from '../errors.js';

/**
 * Throws unless `serviceId` stays within the limit after `adding` checks (ids), keeping its
 * current checks when `keepExisting`. Call before the operation writes anything.
 * @throws ApiError 400 `Invalid check: service "x" would have N checks; ...`.
 */
export function assertChecksPerService(catalog: Catalog, serviceId: string, adding: Iterable<string>, keepExisting: boolean): void {
  if (serviceId === '') return;
  const ids = new Set<string>(adding);
  if (keepExisting) for (const c of catalog.checksOf(serviceId)) if (!isMaintenanceCheck(c.id)) ids.add(c.id);
  if (ids.size > LIMITS.checksMax) {
    throw invalidCheck(`service "${serviceId}" would have ${ids.size} checks; the limit is ${LIMITS.checksMax} per service`);
  }
}
