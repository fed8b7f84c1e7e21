/**
 * The records of the single-node catalog. Records are immutable: a change replaces the record,
 * so a record read by a request never changes under it. The same shapes are persisted (JSON).
 */
import type { HealthStatus } from '@rosterjs/roster';

/** An address with a port, as in a service's `TaggedAddresses`. */
export interface TaggedAddress {
  readonly address: string;
  readonly port: number;
}

/** Consul's service weights: share of traffic while passing and while warning. */
export interface Weights {
  readonly passing: number;
  readonly warning: number;
}

/**
 * One registered instance on this node (Consul calls it a "service"; the HTTP edge translates).
 * The field names are the persisted JSON (store schema 1), so they stay as they are.
 */
export interface InstanceRecord {
  readonly id: string;
  readonly name: string;
  readonly tags: readonly string[];
  /** May be empty: consumers then use the node address. */
  readonly address: string;
  /** 0 when not given (Consul allows it). */
  readonly port: number;
  readonly meta: Readonly<Record<string, string>>;
  readonly taggedAddresses: Readonly<Record<string, TaggedAddress>>;
  readonly weights: Weights;
  readonly enableTagOverride: boolean;
  readonly createIndex: number;
  readonly modifyIndex: number;
}

/** What the server runs for a check: `''` for checks nobody runs (maintenance, static ones). */
export type CheckType = 'http' | 'tcp' | 'ttl' | '';

/** How a check is run, with durations in milliseconds (0 = not set). */
export interface CheckDefinition {
  readonly type: CheckType;
  /** HTTP check URL. */
  readonly http?: string;
  readonly method?: string;
  readonly header?: Readonly<Record<string, readonly string[]>>;
  readonly body?: string;
  readonly disableRedirects?: boolean;
  readonly tlsSkipVerify?: boolean;
  readonly tlsServerName?: string;
  /** TCP check target `host:port`. */
  readonly tcp?: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly ttlMs: number;
  readonly deregisterCriticalAfterMs: number;
  readonly successBeforePassing: number;
  readonly failuresBeforeWarning: number;
  readonly failuresBeforeCritical: number;
  /** Longest output kept, in bytes. */
  readonly outputMaxSize: number;
}

/** One health check on this node: a node check (`serviceId` empty) or a service check. */
export interface CheckRecord {
  readonly id: string;
  readonly name: string;
  readonly notes: string;
  readonly serviceId: string;
  readonly status: HealthStatus;
  readonly output: string;
  readonly definition: CheckDefinition;
  readonly createIndex: number;
  readonly modifyIndex: number;
}

/** An instance record before a commit assigns its indexes. */
export type InstanceInput = Omit<InstanceRecord, 'createIndex' | 'modifyIndex'>;
/** A check record before a commit assigns its indexes. */
export type CheckInput = Omit<CheckRecord, 'createIndex' | 'modifyIndex'>;

/**
 * Builds an instance record with every field in one fixed order, so that all records share one
 * V8 hidden class (object spread gives each record its own; see docs/benchmarks.md, (e)).
 */
export function instanceRecord(s: InstanceInput, createIndex: number, modifyIndex: number): InstanceRecord {
  return {
    id: s.id,
    name: s.name,
    tags: s.tags,
    address: s.address,
    port: s.port,
    meta: s.meta,
    taggedAddresses: s.taggedAddresses,
    weights: { passing: s.weights.passing, warning: s.weights.warning },
    enableTagOverride: s.enableTagOverride,
    createIndex,
    modifyIndex,
  };
}

/** Builds a check record with every field in one fixed order (one hidden class for all). */
export function checkRecord(c: CheckInput, createIndex: number, modifyIndex: number): CheckRecord {
  return {
    id: c.id,
    name: c.name,
    notes: c.notes,
    serviceId: c.serviceId,
    status: c.status,
    output: c.output,
    definition: c.definition,
    createIndex,
    modifyIndex,
  };
}

/** This node: the one node of the catalog. */
export interface NodeInfo {
  /** Stable UUID (persisted). */
  readonly id: string;
  readonly name: string;
  readonly address: string;
  readonly datacenter: string;
  readonly meta: Readonly<Record<string, string>>;
  readonly createIndex: number;
  readonly modifyIndex: number;
}

/** True when `name` names this node (node names are case-insensitive), or is its ID. */
export function isThisNode(name: string, node: NodeInfo): boolean {
  return name.toLowerCase() === node.name.toLowerCase() || name === node.id;
}

/** ID of the check that puts the whole node into maintenance. */
export const NODE_MAINTENANCE_CHECK_ID = '_node_maintenance';
/** Prefix of the check ID that puts one service into maintenance. */
export const SERVICE_MAINTENANCE_PREFIX = '_service_maintenance:';
/** ID of the always-passing node check real Consul agents carry. */
export const SERF_HEALTH_CHECK_ID = 'serfHealth';

/** The maintenance check ID of a service. */
export function instanceMaintenanceId(serviceId: string): string {
  return SERVICE_MAINTENANCE_PREFIX + serviceId;
}

/** True for the synthetic maintenance checks (node or service). */
export function isMaintenanceCheck(checkId: string): boolean {
  return checkId === NODE_MAINTENANCE_CHECK_ID || checkId.startsWith(SERVICE_MAINTENANCE_PREFIX);
}

/** A definition for checks nobody runs (maintenance, serfHealth). */
export const STATIC_DEFINITION: CheckDefinition = {
  type: '',
  intervalMs: 0,
  timeoutMs: 0,
  ttlMs: 0,
  deregisterCriticalAfterMs: 0,
  successBeforePassing: 0,
  failuresBeforeWarning: 0,
  failuresBeforeCritical: 0,
  outputMaxSize: 4096,
};
