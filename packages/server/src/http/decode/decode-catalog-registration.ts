/**
 * Decoding of `PUT /v1/catalog/register` and `/v1/catalog/deregister` bodies (spec §6.15).
 * roster serve has one node: registrations for any other node are refused (documented
 * deviation). Catalog checks are static: nobody runs them; their status is what was written.
 */
import { isHealthStatus, LIMITS, validateId } from '@rosterjs/roster';
import { type CheckInput, isThisNode, type NodeInfo, STATIC_DEFINITION } from '../../catalog/types.js';
import { badRequest } from '../../errors.js';
import type { CatalogDeregistration, CatalogRegistration } from '../../operations/catalog-write.js';
import { decodeServiceDefinition, type ServiceDecodeOptions } from './decode-service.js';
import { type Fields, parseJsonObject } from './fields.js';
import { toApiError } from './validation-error.js';

function node(f: Fields, self: NodeInfo): void {
  const name = f.string('Node') ?? '';
  if (name === '') throw badRequest('Must provide node');
  if (!isThisNode(name, self)) throw badRequest(`Unknown node "${name}": roster serve has one node, "${self.name}"`);
}

function staticCheck(c: Fields, serviceId: string | undefined): CheckInput {
  const name = c.string('Name') ?? '';
  const id = c.string('CheckID', 'check_id') || name;
  const status = c.string('Status') || 'critical';
  try {
    validateId(id, 'CheckID');
  } catch (error) {
    throw toApiError(error);
  }
  if (name.length === 0 || name.length > LIMITS.checkNameMax)
    throw badRequest(`Invalid check: Name: must be 1 to ${LIMITS.checkNameMax} characters`);
  if (!isHealthStatus(status)) throw badRequest(`Invalid check status: '${status}'`);
  return {
    id,
    name,
    notes: c.string('Notes') ?? '',
    serviceId: c.string('ServiceID', 'service_id') ?? serviceId ?? '',
    status,
    output: c.string('Output') ?? '',
    definition: STATIC_DEFINITION,
  };
}

/** Decodes a catalog registration. @throws ApiError 400. */
export function decodeCatalogRegistration(body: Buffer | undefined, self: NodeInfo, options: ServiceDecodeOptions): CatalogRegistration {
  const f = parseJsonObject(body, 'structs.RegisterRequest');
  node(f, self);
  if (!f.bool('SkipNodeUpdate', 'skip_node_update') && (f.string('Address') ?? '') === '') {
    throw badRequest('Must provide address if SkipNodeUpdate is not set');
  }
  const s = f.object('Service', 'structs.NodeService');
  const service = s ? decodeServiceDefinition(s, false, options, 'Service') : undefined;
  const rawChecks = [f.object('Check', 'structs.HealthCheck'), ...(f.objectArray('Checks', 'structs.HealthCheck') ?? [])].filter(
    (c) => c !== undefined,
  );
  const checks = rawChecks.map((c) => staticCheck(c!, undefined));
  if (service) {
    // Checks naming the registered service (or no service, when one is registered) belong to it.
    const own = checks.filter((c) => c.serviceId === service.service.id);
    const rest = checks.filter((c) => c.serviceId !== service.service.id);
    return { service: { ...service, checks: own }, checks: rest };
  }
  return { service: undefined, checks };
}

/** Decodes a catalog deregistration. @throws ApiError 400. */
export function decodeCatalogDeregistration(body: Buffer | undefined, self: NodeInfo): CatalogDeregistration {
  const f = parseJsonObject(body, 'structs.DeregisterRequest');
  node(f, self);
  const serviceId = f.string('ServiceID', 'service_id') ?? '';
  const checkId = f.string('CheckID', 'check_id') ?? '';
  if (serviceId !== '') return { kind: 'service', id: serviceId };
  if (checkId !== '') return { kind: 'check', id: checkId };
  return { kind: 'node' };
}
