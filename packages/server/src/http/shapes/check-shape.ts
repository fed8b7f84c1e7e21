/**
 * The JSON shape of a health check (spec §3.2 "HealthCheck"). `Definition` carries only
 * non-empty fields: the Go client fails on an empty duration string inside it.
 */
import { formatMs } from '@rosterjs/roster';
import type { Catalog } from '../../catalog/catalog.js';
import { type CheckRecord, isMaintenanceCheck } from '../../catalog/types.js';

function definitionShape(c: CheckRecord): Record<string, unknown> {
  const d = c.definition;
  const out: Record<string, unknown> = {};
  if (d.http !== undefined) out.HTTP = d.http;
  if (d.tlsServerName !== undefined) out.TLSServerName = d.tlsServerName;
  if (d.tlsSkipVerify) out.TLSSkipVerify = true;
  if (d.header !== undefined && Object.keys(d.header).length > 0) out.Header = d.header;
  if (d.method !== undefined) out.Method = d.method;
  if (d.body !== undefined) out.Body = d.body;
  if (d.disableRedirects) out.DisableRedirects = true;
  if (d.tcp !== undefined) out.TCP = d.tcp;
  if (d.intervalMs > 0) out.Interval = formatMs(d.intervalMs);
  if (d.timeoutMs > 0) out.Timeout = formatMs(d.timeoutMs);
  if (d.deregisterCriticalAfterMs > 0) out.DeregisterCriticalServiceAfter = formatMs(d.deregisterCriticalAfterMs);
  return out;
}

/** HealthCheck, with ServiceName/ServiceTags taken from the owning service. */
export function checkShape(c: CheckRecord, catalog: Catalog): Record<string, unknown> {
  const owner = c.serviceId === '' ? undefined : catalog.instance(c.serviceId);
  const d = c.definition;
  return {
    Node: catalog.node.name,
    CheckID: c.id,
    Name: c.name,
    Status: c.status,
    Notes: c.notes,
    Output: c.output,
    ServiceID: c.serviceId,
    ServiceName: owner?.name ?? '',
    ServiceTags: owner ? [...owner.tags] : [],
    Type: isMaintenanceCheck(c.id) ? 'maintenance' : d.type,
    Interval: d.intervalMs > 0 ? formatMs(d.intervalMs) : '',
    Timeout: d.timeoutMs > 0 ? formatMs(d.timeoutMs) : '',
    ExposedPort: 0,
    Definition: definitionShape(c),
    CreateIndex: c.createIndex,
    ModifyIndex: c.modifyIndex,
  };
}
