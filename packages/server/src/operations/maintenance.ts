/** Service and node maintenance mode, expressed as synthetic critical checks (spec §4.5). */
import { NODE_MAINTENANCE_CHECK_ID, STATIC_DEFINITION, instanceMaintenanceId } from '../catalog/types.js';
import type { Operation } from '../commit/committer.js';
import { unknownServiceId } from '../errors.js';

const SERVICE_DEFAULT_REASON = 'Maintenance mode is enabled for this service, but no reason was provided. This is a default message.';
const NODE_DEFAULT_REASON = 'Maintenance mode is enabled for this node, but no reason was provided. This is a default message.';

/** Puts a service into maintenance or takes it out; idempotent. 404 for an unknown service. */
export function setInstanceMaintenance(serviceId: string, enable: boolean, reason: string): Operation<void> {
  return (batch) => {
    const { catalog } = batch;
    if (!catalog.instance(serviceId)) throw unknownServiceId(serviceId);
    const id = instanceMaintenanceId(serviceId);
    if (!enable) {
      batch.deleteCheck(id);
      return;
    }
    if (catalog.check(id)) return;
    batch.putCheck({
      id,
      name: 'Service Maintenance Mode',
      notes: reason === '' ? SERVICE_DEFAULT_REASON : reason,
      serviceId,
      status: 'critical',
      output: '',
      definition: STATIC_DEFINITION,
    });
  };
}

/** Puts the node into maintenance or takes it out; idempotent. */
export function setNodeMaintenance(enable: boolean, reason: string): Operation<void> {
  return (batch) => {
    if (!enable) {
      batch.deleteCheck(NODE_MAINTENANCE_CHECK_ID);
      return;
    }
    if (batch.catalog.check(NODE_MAINTENANCE_CHECK_ID)) return;
    batch.putCheck({
      id: NODE_MAINTENANCE_CHECK_ID,
      name: 'Node Maintenance Mode',
      notes: reason === '' ? NODE_DEFAULT_REASON : reason,
      serviceId: '',
      status: 'critical',
      output: '',
      definition: STATIC_DEFINITION,
    });
  };
}
