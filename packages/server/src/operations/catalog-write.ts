/**
 * `PUT /v1/catalog/register` and `/v1/catalog/deregister` (spec §6.15) on the one node: a
 * service with static checks (their status as written, nobody runs them), and removal of a
 * service, a check, or everything on the node.
 */
import { type CheckInput, SERF_HEALTH_CHECK_ID } from '../catalog/types.js';
import type { Operation } from '../commit/committer.js';
import { notFound } from '../errors.js';
import { assertChecksPerService } from './check-limit.js';
import type { InstanceRegistration } from './register-instance.js';

/** A decoded catalog registration: a service with static checks, and/or node-level checks. */
export interface CatalogRegistration {
  readonly service: InstanceRegistration | undefined;
  /** Checks without a service, or for services registered earlier. */
  readonly checks: readonly CheckInput[];
}

/** What a catalog deregistration removes. */
export type CatalogDeregistration =
  { readonly kind: 'service'; readonly id: string } | { readonly kind: 'check'; readonly id: string } | { readonly kind: 'node' };

/** The registration; a check naming a service that does not exist is a 404 (nothing written). */
export function catalogRegister(registration: CatalogRegistration): Operation<true> {
  return (batch) => {
    const { catalog } = batch;
    const newId = registration.service?.service.id;
    for (const c of registration.checks) {
      if (c.serviceId !== '' && c.serviceId !== newId && !catalog.instance(c.serviceId))
        throw notFound(`ServiceID "${c.serviceId}" does not exist`);
    }
    const all: CheckInput[] = [...(registration.service?.checks ?? []), ...registration.checks];
    const byService = new Map<string, string[]>();
    for (const c of all) byService.set(c.serviceId, [...(byService.get(c.serviceId) ?? []), c.id]);
    for (const [serviceId, ids] of byService) assertChecksPerService(catalog, serviceId, ids, true);
    if (registration.service) batch.putInstance(registration.service.service);
    for (const c of all) if (c.id !== SERF_HEALTH_CHECK_ID) batch.putCheck(c);
    return true;
  };
}

/** The deregistration; removing what is not there is not an error (as in Consul). */
export function catalogDeregister(what: CatalogDeregistration): Operation<true> {
  return (batch) => {
    const { catalog } = batch;
    const removeInstance = (id: string) => {
      if (!catalog.instance(id)) return;
      for (const c of catalog.checksOf(id)) batch.deleteCheck(c.id);
      batch.deleteInstance(id, 'deregistered');
    };
    switch (what.kind) {
      case 'service':
        removeInstance(what.id);
        break;
      case 'check':
        if (what.id !== SERF_HEALTH_CHECK_ID) batch.deleteCheck(what.id);
        break;
      case 'node':
        for (const s of [...catalog.instances()]) removeInstance(s.id);
        for (const c of [...catalog.nodeChecks()]) if (c.id !== SERF_HEALTH_CHECK_ID) batch.deleteCheck(c.id);
        break;
    }
    return true;
  };
}
