/** Removes a service instance with all its checks (spec §6.2), or on critical timeout (§4.8). */
import type { RemovalReason } from '../catalog/change.js';
import type { Operation } from '../commit/committer.js';
import { unknownServiceId } from '../errors.js';

/**
 * The operation. With `mustExist` (the API), an unknown ID is a 404; the reaper passes `false`
 * because the instance may have been removed meanwhile.
 */
export function deregisterInstance(id: string, reason: RemovalReason = 'deregistered', mustExist = true): Operation<boolean> {
  return (batch) => {
    const { catalog } = batch;
    if (!catalog.instance(id)) {
      if (mustExist) throw unknownServiceId(id);
      return false;
    }
    for (const check of catalog.checksOf(id)) batch.deleteCheck(check.id);
    batch.deleteInstance(id, reason);
    return true;
  };
}
