/** A health status as a coloured word (the colour repeats the word; the word is what counts). */
import type { HealthStatus } from '../wire.js';

/** The badge. */
export function HealthBadge({ status, count }: { status: HealthStatus; count?: number }) {
  return (
    <span class={`badge ${status}`} data-health={status}>
      {count === undefined ? status : `${count} ${status}`}
    </span>
  );
}
