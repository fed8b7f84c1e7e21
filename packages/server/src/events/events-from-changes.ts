/** Turns a committed batch's catalog changes into {@link RosterEvent}s. */
import type { HealthStatus, Instance } from '@rosterjs/roster';
import type { Catalog } from '../catalog/catalog.js';
import type { CatalogChange } from '../catalog/change.js';
import type { InstanceRecord } from '../catalog/types.js';
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

/**
 * Events of one batch, in order. Checks registered together with their service are part of the
 * register event (its instance health), not separate health events.
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
        if (registered.has(check.serviceId) || !previous || previous.status === check.status) break;
        const owner = check.serviceId === '' ? undefined : catalog.instance(check.serviceId);
        events.push({
          type: 'health',
          index: change.index,
          at,
          checkId: check.id,
          serviceId: check.serviceId,
          service: owner?.name ?? '',
          status: check.status,
          previous: previous.status,
          health: owner ? catalog.healthOf(owner.id) : check.status,
        });
        break;
      }
      case 'check-delete':
        break;
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
