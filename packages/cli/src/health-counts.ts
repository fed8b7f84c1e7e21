/** Counting instances by health, and what that means for a service as a whole. */
import { HEALTH_STATUSES, type HealthStatus, type Instance } from '@rosterjs/roster';
import type { Style } from './style.js';

/** How many instances have each health. */
export interface HealthCounts {
  readonly passing: number;
  readonly warning: number;
  readonly critical: number;
}

/** `2 passing, 1 critical`: the non-zero counts, each in its health's colour. */
export function describeCounts(counts: HealthCounts, style: Style): string {
  return HEALTH_STATUSES.filter((h) => counts[h] > 0)
    .map((h) => style.health(h, `${counts[h]} ${h}`))
    .join(', ');
}

/** Counts `instances` by health. */
export function countHealth(instances: readonly Instance[]): HealthCounts {
  const counts = { passing: 0, warning: 0, critical: 0 };
  for (const i of instances) counts[i.health]++;
  return counts;
}

/**
 * The health of a service as a whole: `passing` when every instance passes, `critical` when no
 * instance can take traffic (none, or all critical), else `warning` (degraded: some can).
 */
export function serviceHealth(counts: HealthCounts): HealthStatus {
  if (counts.passing + counts.warning === 0) return 'critical';
  if (counts.warning === 0 && counts.critical === 0) return 'passing';
  return 'warning';
}
