/** Removes one check (spec §6.6). */
import { SERF_HEALTH_CHECK_ID } from '../catalog/types.js';
import type { Operation } from '../commit/committer.js';
import { unknownCheckId } from '../errors.js';

/** The operation; an unknown ID (and the node's own serfHealth) is a 404. */
export function deregisterCheck(id: string): Operation<void> {
  return (batch) => {
    if (id === SERF_HEALTH_CHECK_ID || !batch.catalog.check(id)) throw unknownCheckId(id);
    batch.deleteCheck(id);
  };
}
