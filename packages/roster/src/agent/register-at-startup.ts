/**
 * registerAtStartup(): the first registration of `announce()`, waiting for a registry that is
 * not up yet. A service and its registry are often started together (docker compose, a test, a
 * reboot); a service that starts a moment before its registry should wait for it, not die.
 */
import type { Clock } from '../clock.js';
import { isRosterError } from '../errors.js';
import { backoffDelay } from '../internal/backoff.js';
import type { Registration } from '../model.js';
import type { Lease, Registry } from '../registry/registry.js';

/** Backoff between attempts: full jitter, 100 ms doubling to 2 s. */
const BACKOFF = { baseMs: 100, maxMs: 2000 } as const;

/**
 * Registers `registration`, retrying a retryable failure (registry unreachable, 5xx, timeout)
 * with jittered backoff until it succeeds or `timeoutMs` has passed since the first attempt;
 * then rejects with the last error. `timeoutMs` 0: one attempt. A non-retryable error (bad
 * registration, access denied, closed client) rejects at once.
 */
export async function registerAtStartup(
  registry: Registry,
  registration: Registration,
  timeoutMs: number,
  clock: Clock,
  random: () => number = Math.random,
): Promise<Lease> {
  const deadline = clock.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await registry.register(registration);
    } catch (error) {
      const left = deadline - clock.now();
      if (!isRosterError(error) || !error.retryable || left <= 0) throw error;
      const delay = Math.min(left, Math.max(1, backoffDelay(attempt, BACKOFF, random)));
      await new Promise<void>((resolve) => clock.setTimeout(resolve, delay));
    }
  }
}
