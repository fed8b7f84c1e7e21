/** Health ordering and aggregation, as roster serve aggregates it (the worst check wins). */
import type { HealthStatus } from './wire.js';

const RANK: Readonly<Record<HealthStatus, number>> = { passing: 0, warning: 1, critical: 2 };

/** The worse of two statuses. */
export function worse(a: HealthStatus, b: HealthStatus): HealthStatus {
  return RANK[b] > RANK[a] ? b : a;
}

/** The worst of `statuses`; `passing` for none. */
export function worst(statuses: Iterable<HealthStatus>): HealthStatus {
  let out: HealthStatus = 'passing';
  for (const s of statuses) out = worse(out, s);
  return out;
}

/** A known status, or `critical` for anything else (a wrong value is shown as the worst). */
export function asHealth(value: unknown): HealthStatus {
  return value === 'passing' || value === 'warning' ? value : 'critical';
}

/** The check ID roster serve (and Consul) use for an instance in maintenance. */
export function maintenanceCheckId(instanceId: string): string {
  return `_service_maintenance:${instanceId}`;
}
