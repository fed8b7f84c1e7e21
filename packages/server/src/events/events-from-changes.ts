/** Turns a committed batch's catalog changes into {@link RosterEvent}s. */
import type { HealthStatus, Instance } from '@rosterjs/roster';
import type { Catalog } from '../catalog/catalog.js';
import type { CatalogChange } from '../catalog/change.js';
import type { CheckRecord, InstanceRecord } from '../catalog/types.js';
import type { RosterEvent } from './roster-event.js';

/** The library's Instance for a service record (empty address → the node's). */
export function toRosterInstance(s: InstanceRecord, catalog: Catalog, health: HealthStatus): Instance {
  return {
    id: s.id,
    service: s.name,
    address: s.address === '' ? catalog.node.address : s.address,
    port: s.port,
    tags: s.tags,
    meta: s.meta,
    weight: s.weights.passing,
    zone: s.meta.zone ?? '',
    health,
  };
}

/** The health event of a check that went from `previous` to `status`. */
function healthEvent(
  index: number,
  at: number,
  check: CheckRecord,
  previous: HealthStatus,
  status: HealthStatus,
  catalog: Catalog,
): RosterEvent {
  const owner = check.serviceId === '' ? undefined : catalog.instance(check.serviceId);
  return {
    type: 'health',
    index,
    at,
    checkId: check.id,
    serviceId: check.serviceId,
    service: owner?.name ?? '',
    status,
    previous,
    health: owner ? catalog.healthOf(owner.id) : status,
  };
}

/**
 * Events of one batch, in order. Checks registered together with their service are part of the
 * register event (its instance health), not separate health events. A check added to or removed
 * from a registered instance counts as `passing` where it is absent (so maintenance on and off,
 * and a non-passing check registered or deregistered on its own, are health events).
 */
export function eventsFromChanges(changes: readonly CatalogChange[], catalog: Catalog, at: number): RosterEvent[] {
  const events: RosterEvent[] = [];
  const registered = new Set<string>();
  for (const change of changes) {
    switch (change.kind) {
      case 'service-put':
        registered.add(change.service.id);
        break;
      case 'service-delete':
        events.push({
          type: 'deregister',
          index: change.index,
          at,
          service: change.service.name,
          id: change.service.id,
          reason: change.reason,
        });
        break;
      case 'check-put': {
        const { check, previous } = change;
        // A check added to a running instance (maintenance, say) counts as passing before it.
        const before = previous?.status ?? 'passing';
        if (registered.has(check.serviceId) || before === check.status) break;
        events.push(healthEvent(change.index, at, check, before, check.status, catalog));
        break;
      }
      case 'check-delete': {
        // A removed check (maintenance off, say) counts as passing after it; not when its instance went too.
        const { check } = change;
        if (check.status === 'passing' || (check.serviceId !== '' && !catalog.instance(check.serviceId))) break;
        events.push(healthEvent(change.index, at, check, check.status, 'passing', catalog));
        break;
      }
    }
  }
  // Register events last within the batch, with the health the instance has after all of it.
  for (const change of changes) {
    if (change.kind !== 'service-put') continue;
    const current = catalog.instance(change.service.id);
    if (!current || current.modifyIndex !== change.service.modifyIndex) continue;
    events.push({
      type: 'register',
      index: change.index,
      at,
      instance: toRosterInstance(current, catalog, catalog.healthOf(current.id)),
      updated: change.previous !== undefined,
    });
  }
  return events.sort((a, b) => a.index - b.index);
}
