/** What every route handler can reach: the server's parts, wired once by createServer. */
import type { Logger } from 'pino';
import type { Acl } from './acl/acl.js';
import type { Waiters } from './blocking/waiters.js';
import type { Catalog } from './catalog/catalog.js';
import type { CheckSupervisor } from './checks/check-supervisor.js';
import type { Committer } from './commit/committer.js';
import type { EventStream } from './events/event-stream.js';
import type { HealthHistory } from './events/health-history.js';
import type { Metrics } from './metrics/metrics.js';
import type { ResolvedOptions } from './options.js';
import type { WatchHub } from './watch/watch-hub.js';

/** The server's parts, shared by the routes. */
export interface ServerContext {
  readonly options: ResolvedOptions;
  readonly catalog: Catalog;
  readonly committer: Committer;
  readonly waiters: Waiters;
  /** The streaming watches (`/v1/roster/watch`). */
  readonly watches: WatchHub;
  readonly checks: CheckSupervisor;
  readonly events: EventStream;
  /** The last health transitions per instance since start (the dashboard's timeline). */
  readonly history: HealthHistory;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly acl: Acl;
  /** `host:port` the HTTP API listens on (after listen; the configured bind and port before). */
  readonly listenAddress: () => string;
  /** Server start time (clock ms). */
  readonly startedAt: number;
  /** True once shutdown began: blocking queries are answered at once. */
  readonly closing: () => boolean;
  /** Registers a function to run when shutdown begins (end SSE streams); returns its removal. */
  readonly onClose: (fn: () => void) => () => void;
}
