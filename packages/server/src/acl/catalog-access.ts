/**
 * ACL questions about catalog objects (spec §7): which name a check or a service instance is
 * checked under. Used by the routes; the catalog itself knows nothing of ACLs.
 */
import type { Catalog } from '../catalog/catalog.js';
import type { CheckRecord } from '../catalog/types.js';
import type { AclIdentity } from './acl.js';
import type { AccessLevel } from './authorizer.js';

/**
 * May the token `level` the check? A service check needs service:<level> on its service's name,
 * a node check node:<level> on this node; reads of service checks also need node:read.
 */
export function allowsCheck(acl: AclIdentity, catalog: Catalog, check: CheckRecord, level: AccessLevel): boolean {
  if (acl.all) return true;
  if (check.serviceId === '') return acl.allows('node', catalog.node.name, level);
  const service = catalog.instance(check.serviceId);
  const name = service?.name ?? check.serviceId;
  return acl.allows('service', name, level) && (level === 'write' || acl.allows('node', catalog.node.name, 'read'));
}

/**
 * Refuses a write to an existing check unless allowed (an unknown check is left to the
 * operation, which answers 404: Consul reports a missing object before a missing permission).
 * @throws ApiError 403 with Consul's text.
 */
export function requireCheckWrite(acl: AclIdentity, catalog: Catalog, checkId: string): void {
  if (acl.all) return;
  const check = catalog.check(checkId);
  if (!check) return;
  if (check.serviceId === '') return acl.require('node', catalog.node.name, 'write');
  acl.require('service', catalog.instance(check.serviceId)?.name ?? check.serviceId, 'write');
}

/** Refuses a write to an existing service instance (by ID) unless allowed; unknown IDs are left to the operation (404). */
export function requireServiceWrite(acl: AclIdentity, catalog: Catalog, serviceId: string): void {
  if (acl.all) return;
  const service = catalog.instance(serviceId);
  if (service) acl.require('service', service.name, 'write');
}

/** May the token read service `name` on this node (service:read and node:read)? */
export function allowsServiceRead(acl: AclIdentity, catalog: Catalog, name: string): boolean {
  return acl.all || (acl.allows('service', name, 'read') && acl.allows('node', catalog.node.name, 'read'));
}
