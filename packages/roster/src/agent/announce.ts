/**
 * announce(): the agent of a service process. One call registers the instance and keeps it
 * honest until the process ends.
 */
import type { AnnounceOptions } from './announce-options.js';
import { normalizeAnnounceOptions } from './normalize-announce-options.js';
import type { Announcement } from './announcement.js';
import { LiveAnnouncement } from './live-announcement.js';
import { registerAtStartup } from './register-at-startup.js';

/**
 * Registers this process's instance of `service` and keeps it registered:
 * - a TTL heartbeat (default `ttl: '10s'`, renewed by the Lease every ttl/3) and/or an HTTP
 *   `check` the registry runs — or, where the registry runs no HTTP checks
 *   (`registry.capabilities.checkKinds`, e.g. etcd), that this process runs against itself and
 *   reports through the Lease (D140);
 * - re-registration when the registry forgot the instance (the Lease's `forgotten`/`restored`
 *   events, surfaced through `onEvent`);
 * - an event-loop-lag watchdog that reports `warning` while the loop lags (`lagWatchdog`);
 * - with a `server`: `critical` within one heartbeat once it stopped listening (closed, or an
 *   `'error'`), with a `server` event — a process that serves nothing is no zombie `passing`;
 * - on SIGTERM/SIGINT (`signals`), `drain()` or the end of an `await using` scope, a drain:
 *   report `critical` (`draining`), wait `drain.propagationMs` so watchers see it, stop the
 *   `server` and let its requests finish (at most `drain.timeoutMs`), deregister; after a signal,
 *   end the process (`exitOnSignal`).
 *
 * ```ts
 * await using announcement = await announce({ registry: connect('consul://127.0.0.1:8500'), service: 'orders', server });
 * attachHealth(server, announcement);
 * ```
 * The first registration waits for a registry that is not up yet: a retryable failure
 * (unreachable, 5xx) is retried with jittered backoff (100 ms doubling to 2 s) for up to
 * `startupTimeout` (default 30 s; 0 = one attempt).
 * @throws InvalidArgumentError naming the bad option (nothing is registered then); the errors
 *   of `Registry.register`: RegistryUnavailableError once `startupTimeout` has passed,
 *   non-retryable ones (ClosedError, AccessDeniedError) at once.
 */
export async function announce(options: AnnounceOptions): Promise<Announcement> {
  const settings = normalizeAnnounceOptions(options);
  const lease = await registerAtStartup(settings.registry, settings.registration, settings.startupTimeoutMs, settings.clock);
  return new LiveAnnouncement(lease, settings);
}
