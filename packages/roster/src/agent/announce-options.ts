/**
 * The options of `announce()` and their defaults.
 */
import type { Clock } from '../clock.js';
import type { Registry } from '../registry/registry.js';
import type { LagSource } from './lag-watchdog.js';
import type { GrpcServerLike } from './grpc-server-drainer.js';
import type { HttpServer } from './server-drainer.js';

/** An HTTP check the registry runs against the instance (roster serve and Consul run it; memory and etcd keep it as data). */
export interface AnnounceCheck {
  /** A path on this instance (`/health` → `http://<address>:<port>/health`) or a full http(s) URL. */
  readonly http: string;
  /** How often the registry runs it: ms or a duration string; default `'10s'`. */
  readonly interval?: number | string;
  /** Time limit of one run; default the smaller of 10 s and the interval. */
  readonly timeout?: number | string;
  /** Remove the instance after the check has been critical this long (default: never). */
  readonly deregisterCriticalAfter?: number | string;
}

/** How the agent drains (see {@link ANNOUNCE_DEFAULTS} for the defaults and why). */
export interface DrainOptions {
  /** After reporting `critical`, how long to keep serving so that watchers can have seen it, in ms. */
  readonly propagationMs?: number;
  /** How long requests in flight may take to finish after the server stops listening, in ms; then their connections are closed. */
  readonly timeoutMs?: number;
}

/** Options of the event-loop-lag watchdog. */
export interface LagWatchdogOptions {
  /** A sample above this many ms reports `warning`. Default: 1000, or a quarter of the TTL when that is smaller. */
  readonly thresholdMs?: number;
  /** How often to sample, in ms (default 1000). */
  readonly intervalMs?: number;
  /** Calm samples needed to report `passing` again (default 3). */
  readonly recoverAfter?: number;
  /** What to sample (default: perf_hooks `monitorEventLoopDelay`). */
  readonly source?: LagSource;
}

/** Options of `announce()`. */
export interface AnnounceOptions {
  /** Where to register (`connect(url)`, `memoryRegistry()`, `consulRegistry()`...). */
  readonly registry: Registry;
  readonly service: string;
  /** Port callers connect to; default the port `server` listens on. */
  readonly port?: number;
  /** Address callers connect to; default: see `defaultAddress` (the server's own address when specific, else the first external IPv4). */
  readonly address?: string;
  /** Instance id; default `<service>-<address>-<port>`. */
  readonly id?: string;
  readonly tags?: readonly string[];
  readonly meta?: Readonly<Record<string, string>>;
  readonly weight?: number;
  readonly zone?: string;
  /**
   * Time to live of the registration, renewed by the Lease every `ttl / 3` (ms or a duration
   * string; default `'10s'`). `false`: no TTL — then a `check` is required, or nothing would
   * ever remove the instance of a crashed process.
   */
  readonly ttl?: number | string | false;
  /** An HTTP check the registry runs (serve it with `attachHealth`/`healthHandler`/`fastifyHealth`). */
  readonly check?: AnnounceCheck;
  /**
   * The server whose requests in flight a drain lets finish: node:http/https (Fastify:
   * `app.server`; while announced, the instance reports `critical` when it stops listening), or
   * a grpc-js `Server` (then `port` is required; the drain uses `tryShutdown`, bounded by
   * `drain.timeoutMs`, then `forceShutdown`).
   */
  readonly server?: HttpServer | GrpcServerLike;
  readonly drain?: DrainOptions;
  /** Signals that start a drain (default `['SIGTERM', 'SIGINT']`); `false` or `[]`: none. Handlers are removed when the drain ends. */
  readonly signals?: readonly NodeJS.Signals[] | false;
  /**
   * After a drain a signal started, end the process (default true): `process.exitCode` is set
   * (0, or 1 when the drain had errors) and the process ends on its own; if something still
   * keeps it alive after `exitGraceMs`, `process.exit()` ends it. A signal that arrives while a
   * drain is already running (the operator insists) exits at once with 128 + the signal number;
   * with `exitOnSignal: false` it is ignored. Once the drain is over the handlers are gone, so a
   * later signal has Node's default effect.
   */
  readonly exitOnSignal?: boolean;
  /** See `exitOnSignal` (default 2000 ms). */
  readonly exitGraceMs?: number;
  /** The event-loop-lag watchdog (on by default); `false` turns it off. */
  readonly lagWatchdog?: LagWatchdogOptions | false;
  /** Time source of the drain's waits and the watchdog (default the system clock). */
  readonly clock?: Clock;
  /**
   * How long the first registration waits for a registry that cannot be reached yet, retrying
   * with backoff (100 ms doubling to 2 s): milliseconds or a Go duration. Default 30 s; 0 = one
   * attempt, fail at once.
   */
  readonly startupTimeout?: number | string;
}

/**
 * Defaults of `announce()`.
 * - `propagationMs` 2 s: `critical` reaches watching clients in one blocking-query/watch round
 *   trip (milliseconds) and their Resolvers publish a new picker at once; 2 s also covers a
 *   watch that is reconnecting after an error, and requests that were picked just before. Raise
 *   it above the check interval when clients learn about health only from the registry's HTTP
 *   check, or when they cache (DNS TTLs).
 * - `drainTimeoutMs` 10 s: with 2 s of propagation this fits well inside Kubernetes' default
 *   30 s grace period before SIGKILL.
 */
export const ANNOUNCE_DEFAULTS = {
  ttl: '10s',
  checkInterval: '10s',
  propagationMs: 2000,
  drainTimeoutMs: 10_000,
  signals: ['SIGTERM', 'SIGINT'] as readonly NodeJS.Signals[],
  exitGraceMs: 2000,
  startupTimeoutMs: 30_000,
  lagThresholdMs: 1000,
  lagIntervalMs: 1000,
  lagRecoverAfter: 3,
} as const;
