/**
 * The instances a service query answers with (spec consul-dns.md §3), read from the same catalog
 * as the HTTP API: instances of the service (optionally with a tag, case-insensitive) that the
 * DNS token may read ({@link readable}), without any critical check (service checks and node checks); `warning`
 * counts as healthy unless only passing instances are wanted. Instances without checks are healthy.
 */
import type { HealthStatus } from '@rosterjs/roster';
import type { Catalog } from '../catalog/catalog.js';
import type { NodeInfo, InstanceRecord } from '../catalog/types.js';
import type { DnsAccess } from './dns-access.js';

/** The catalog reads DNS needs. */
export type DnsCatalog = Pick<Catalog, 'instancesOf' | 'healthOf' | 'node' | 'instances' | 'contentVersion'>;

/** One answerable instance. */
export interface DnsInstance {
  readonly service: InstanceRecord;
  /** The address clients use: the instance's own, else the node's. */
  readonly address: string;
  /** SRV weight: `Weights.Passing` while passing, `Weights.Warning` while warning. */
  readonly weight: number;
}

/** What to select. */
export interface InstanceQuery {
  readonly service: string;
  readonly tag: string | undefined;
  readonly onlyPassing: boolean;
}

/**
 * Healthy instances of a service, in catalog order. Empty when there are none. Not filtered by
 * ACL: that is {@link readable}'s job, per query, so that a reloaded ACL applies at once.
 */
export function dnsInstances(catalog: DnsCatalog, query: InstanceQuery): DnsInstance[] {
  const node: NodeInfo = catalog.node;
  const out: DnsInstance[] = [];
  const tag = query.tag?.toLowerCase();
  for (const s of catalog.instancesOf(query.service)) {
    if (tag !== undefined && !s.tags.some((t) => t.toLowerCase() === tag)) continue;
    const health: HealthStatus = catalog.healthOf(s.id);
    if (health === 'critical' || (query.onlyPassing && health !== 'passing')) continue;
    const weight = Math.min(65_535, Math.max(0, health === 'passing' ? s.weights.passing : s.weights.warning));
    out.push({ service: s, address: s.address === '' ? node.address : s.address, weight });
  }
  return out;
}

/**
 * The items whose service `access` may read (and only if it may read the node): a service
 * instance needs `service:read` on its service and `node:read` on its node (spec §8).
 */
export function readable<T extends { readonly name: string }>(items: readonly T[], nodeName: string, access: DnsAccess): readonly T[] {
  if (access.everything === true) return items;
  if (!access.node(nodeName)) return [];
  const decided = new Map<string, boolean>();
  return items.filter((item) => {
    let allowed = decided.get(item.name);
    if (allowed === undefined) {
      allowed = access.service(item.name);
      decided.set(item.name, allowed);
    }
    return allowed;
  });
}
