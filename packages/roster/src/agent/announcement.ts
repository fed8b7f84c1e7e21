/**
 * The Announcement contract: what `announce()` returns to a service process — its registration,
 * its self-reported health, its events, and the drain that ends it.
 */
import type { HealthStatus, Instance } from '../model.js';
import type { Lease, LeaseEvent } from '../registry/registry.js';
import type { AgentHealth } from './self-health.js';

/** What started a drain. */
export type DrainTrigger = 'signal' | 'call' | 'dispose';

/**
 * The steps of a drain, in order: `started`; `marked` (critical reported, or the attempt
 * failed); `propagated` (the wait for watchers is over); `closed` (the server stopped and its
 * requests finished or were cut; only with a `server`); `deregistered` (or the attempt failed).
 */
export type DrainPhase = 'started' | 'marked' | 'propagated' | 'closed' | 'deregistered';

/** How a drain went. A drain never throws: problems are listed in `errors`. */
export interface DrainResult {
  readonly trigger: DrainTrigger;
  /** The signal that started it (trigger `signal`). */
  readonly signal?: NodeJS.Signals;
  /** Clock times (ms). */
  readonly startedAt: number;
  readonly endedAt: number;
  /** True when the registry stored `critical` before the propagation wait. */
  readonly marked: boolean;
  /** Connections still open at `drain.timeoutMs`, closed by force (their requests were cut). */
  readonly forcedConnections: number;
  /** True when the registration is gone (removed now, or the Lease had already ended). */
  readonly deregistered: boolean;
  /** What went wrong (reporting critical, deregistering); empty for a clean drain. */
  readonly errors: readonly Error[];
}

/**
 * What happened to an announcement, in order: every event of its Lease (`renewed`,
 * `renew-failed`, `forgotten`, `restored`, `ended`), and the agent's own.
 */
export type AnnouncementEvent =
  | LeaseEvent
  /** The self-reported health changed (emitted before it is sent to the registry). */
  | { readonly type: 'health'; readonly at: number; readonly status: HealthStatus; readonly output: string }
  /** The registry did not store a health change; the Lease's next renewal carries it. */
  | { readonly type: 'health-report-failed'; readonly at: number; readonly error: Error }
  /**
   * The announced `server` stopped listening (closed, or an `'error'`: then `error`) — the
   * instance reports `critical` until it listens again — or it listens again.
   */
  | { readonly type: 'server'; readonly at: number; readonly listening: boolean; readonly error?: Error }
  /** A drain reached a phase. */
  | { readonly type: 'drain'; readonly at: number; readonly phase: DrainPhase }
  /** A drain is over. */
  | { readonly type: 'drained'; readonly at: number; readonly result: DrainResult };

/** Where the health endpoint helpers read the health from. An Announcement is one. */
export interface HealthSource {
  /**
   * The instance's own view of its health now (what the `/health` helpers serve). The result of
   * an HTTP check the agent runs itself where the registry runs none (D140) is reported to the
   * registry but is not part of it, so probing `/health` never reads its own earlier failure.
   */
  readonly health: AgentHealth;
}

/**
 * A service instance announced to a registry by `announce()`: registered, kept alive by its
 * Lease, watched by the lag watchdog, and drained on SIGTERM/SIGINT, `drain()` or at the end of
 * an `await using` scope.
 */
export interface Announcement extends HealthSource, AsyncDisposable {
  /** The instance as registered. */
  readonly instance: Instance;
  /** The Lease behind it (its `lost` signal aborts when the registration is gone for good). */
  readonly lease: Lease;
  /** `serving` until a drain starts, `draining` during it, `drained` after. */
  readonly state: 'serving' | 'draining' | 'drained';
  /** Resolves when a drain (however started) is over. Never rejects. */
  readonly drained: Promise<DrainResult>;
  /**
   * The application's own part of the health (e.g. `warning` while a dependency is down).
   * The reported health is the worst of this, the lag watchdog's and the drain's. Resolves
   * true once the registry stored a change (or nothing changed), false when it could not.
   * @throws InvalidArgumentError for a status that is not a HealthStatus.
   */
  setHealth(status: HealthStatus, output?: string): Promise<boolean>;
  /**
   * Drains: reports `critical` (`draining`), waits `drain.propagationMs`, stops the server and
   * lets requests in flight finish (at most `drain.timeoutMs`), deregisters. Idempotent: every
   * call returns the same drain.
   */
  drain(): Promise<DrainResult>;
  /**
   * Subscribes to events; returns the function that unsubscribes. A listener that throws is
   * reported on the `roster:listener:error` diagnostics channel; the announcement carries on.
   */
  onEvent(listener: (event: AnnouncementEvent) => void): () => void;
}
