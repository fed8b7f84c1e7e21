/**
 * Options of roster serve, validated once at construction (naming the bad option), with every
 * default in one place.
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { type Clock, InvalidArgumentError, systemClock } from '@rosterjs/roster';
import { CheckAllowList } from '@rosterjs/roster/health';
import type { AclOptions } from './acl/acl.js';
import type { RateLimit } from './limits/rate-limiter.js';
import type { TlsOptions } from './tls/tls-files.js';
import { type DnsOptions, type ResolvedDnsOptions, resolveDnsOptions } from './dns/dns-options.js';
import type { LogFormat } from './logging/create-logger.js';
import type { SyncMode } from './store/store.js';

/** Options of {@link createServer}. */
export interface ServerOptions {
  /** Listen address; default `127.0.0.1`. */
  readonly bind?: string;
  /** Listen port; default 8500; 0 picks a free port. */
  readonly port?: number;
  /** Data directory (SQLite); default `.roster-data` in the working directory. */
  readonly dataDir?: string;
  /** pino level: fatal, error, warn, info, debug, trace, silent; default `info`. */
  readonly logLevel?: string;
  /** `json` (default: one JSON object per line) or `pretty` (readable lines, for a terminal). */
  readonly logFormat?: LogFormat;
  /** Clock for blocking-query waits, check schedules, TTLs and the reaper; default the system clock. */
  readonly clock?: Clock;
  /** Random numbers in [0, 1) (blocking-query jitter, first check delay); default `Math.random`. */
  readonly random?: () => number;
  /** Node name; default the host name. */
  readonly nodeName?: string;
  /** Address of the node as clients see it; default `127.0.0.1`. */
  readonly nodeAddress?: string;
  /** Datacenter name; default `dc1`. */
  readonly datacenter?: string;
  /** Extra node meta (keys must not start with `consul-`). */
  readonly nodeMeta?: Readonly<Record<string, string>>;
  /** `full` (default): fsync at every commit (survives power loss); `normal`: survives process kill only. */
  readonly sync?: SyncMode;
  /**
   * With `sync: 'full'`: makes what was written to the WAL file `fd` durable; default
   * `fs.fdatasync` on the libuv thread pool. For tests (e.g. a slow sync that still syncs).
   */
  readonly syncFile?: (fd: number) => Promise<void>;
  /** Largest request body in bytes; default 1 MiB (larger → 413). */
  readonly bodyLimit?: number;
  /**
   * Time a client has to send a whole request, head and body, in ms; default 60 s (→ 408). Never
   * cuts an answer: a held blocking query was received in full before it is held.
   */
  readonly requestTimeoutMs?: number;
  /** Open client connections; default 4096. A connection over it is answered 503 and closed. */
  readonly maxConnections?: number;
  /** Blocking queries held at once; default 4096. One more is answered 503 at once. */
  readonly maxHeldQueries?: number;
  /**
   * Offer the streaming watch (`/v1/roster/watch`, many service watches over one connection);
   * default true. False: the endpoint answers 404 as on a server without it (clients fall back to
   * blocking queries).
   */
  readonly watchStreams?: boolean;
  /** Streaming watches open at once; default 1024. One more is answered 503 at once. */
  readonly maxWatchStreams?: number;
  /** Services one streaming watch may watch; default 10,000. One more is answered 400. */
  readonly maxWatchesPerStream?: number;
  /** Shortest DeregisterCriticalServiceAfter (Consul's check_deregister_interval_min); default 1 minute. */
  readonly deregisterCriticalMinMs?: number;
  /** Accept python-consul 0.7.1's GET on legacy write endpoints; default true (false = Consul-strict 405). */
  readonly legacyGet?: boolean;
  /** ACLs (a parsed ACL file, see `loadAclFile`, or static tokens); default off (everything allowed). */
  readonly acl?: AclOptions;
  /**
   * Allow a non-loopback `bind` without ACLs (anyone who reaches the port may register,
   * deregister and redirect traffic); default false. A warning is logged at every start.
   */
  readonly insecure?: boolean;
  /** TLS (and mutual TLS) for the HTTP API; default off (plain HTTP). */
  readonly tls?: TlsOptions;
  /** The DNS interface (UDP and TCP, default 127.0.0.1:8600); default off in createServer (`roster serve` turns it on). */
  readonly dns?: DnsOptions;
  /**
   * Check targets allowed beyond the instance's own address: CIDRs (`10.0.0.0/8`), addresses and
   * host names (`db.internal`, `*.svc.internal`); default none. Link-local and metadata
   * addresses stay refused whatever this says.
   */
  readonly checkAllow?: readonly string[];
  /**
   * PEM CA certificates an https HTTP check trusts besides Node's default roots (re-read on
   * `reload({ tls: true })`). Default: `tls.caFile` when TLS is on with a CA, so that instances
   * with certificates from the server's private CA can be checked (D177); `false`: Node's default
   * roots only.
   */
  readonly checkCaFile?: string | false;
  /**
   * Requests per client (a valid token's accessor with ACLs on, else the client address): a
   * token bucket of `burst` refilled at `perSecond`; over it → 429 with Retry-After. Default
   * {@link DEFAULT_RATE_LIMIT}; `false` turns it off.
   */
  readonly rateLimit?: RateLimit | false;
  /** Blocking queries and event streams one client may hold at once; default 2048. One more → 429. */
  readonly maxHeldQueriesPerClient?: number;
}

/** Options with every default applied. */
export interface ResolvedOptions {
  readonly bind: string;
  readonly port: number;
  readonly dataDir: string;
  readonly logLevel: string;
  readonly logFormat: LogFormat;
  readonly clock: Clock;
  readonly random: () => number;
  readonly nodeName: string;
  readonly nodeAddress: string;
  readonly datacenter: string;
  readonly nodeMeta: Readonly<Record<string, string>>;
  readonly sync: SyncMode;
  /** Undefined: the store's default (`fs.fdatasync` on the libuv pool). */
  readonly syncFile: ((fd: number) => Promise<void>) | undefined;
  readonly bodyLimit: number;
  readonly requestTimeoutMs: number;
  readonly maxConnections: number;
  readonly maxHeldQueries: number;
  readonly watchStreams: boolean;
  readonly maxWatchStreams: number;
  readonly maxWatchesPerStream: number;
  readonly deregisterCriticalMinMs: number;
  readonly legacyGet: boolean;
  readonly acl: AclOptions | undefined;
  readonly insecure: boolean;
  /** Undefined when TLS is off. */
  readonly tls: TlsOptions | undefined;
  /** Undefined when DNS is off. */
  readonly dns: ResolvedDnsOptions | undefined;
  readonly checkAllow: CheckAllowList;
  /** The check CA file; undefined: Node's default roots only. */
  readonly checkCaFile: string | undefined;
  /** Undefined when off. */
  readonly rateLimit: RateLimit | undefined;
  readonly maxHeldQueriesPerClient: number;
}

/** Default port, as Consul's. */
export const DEFAULT_PORT = 8500;
/** Default request body limit: 1 MiB. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;
/** Default time to receive a whole request: 60 s. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
/** Default limit of open client connections. */
export const DEFAULT_MAX_CONNECTIONS = 4096;
/** Default limit of blocking queries held at once (each costs ~13 KB of heap). */
export const DEFAULT_MAX_HELD_QUERIES = 4096;
/** Default limit of blocking queries and event streams one client holds at once: half the server's. */
export const DEFAULT_MAX_HELD_QUERIES_PER_CLIENT = 2048;
/**
 * Default request rate per client: 20,000/s sustained, bursts of 40,000 — above what one client
 * on loopback reaches in the benchmarks, so it only stops a client flooding the server.
 */
export const DEFAULT_RATE_LIMIT: RateLimit = { perSecond: 20_000, burst: 40_000 };
/** Default of {@link ServerOptions.maxWatchStreams}. */
export const DEFAULT_MAX_WATCH_STREAMS = 1024;
/** Default of {@link ServerOptions.maxWatchesPerStream}. */
export const DEFAULT_MAX_WATCHES_PER_STREAM = 10_000;
const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$/;

/** Applies defaults and validates. @throws InvalidArgumentError naming the option. */
export function resolveOptions(options: ServerOptions = {}): ResolvedOptions {
  const port = options.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new InvalidArgumentError('port', `must be an integer 0-65535, got ${port}`);
  const logLevel = options.logLevel ?? 'info';
  if (!LOG_LEVELS.has(logLevel))
    throw new InvalidArgumentError('logLevel', `must be one of ${[...LOG_LEVELS].join(', ')}, got ${JSON.stringify(logLevel)}`);
  const logFormat = options.logFormat ?? 'json';
  if (logFormat !== 'json' && logFormat !== 'pretty')
    throw new InvalidArgumentError('logFormat', `must be "json" or "pretty", got ${JSON.stringify(logFormat)}`);
  const sync = options.sync ?? 'full';
  if (sync !== 'full' && sync !== 'normal')
    throw new InvalidArgumentError('sync', `must be "full" or "normal", got ${JSON.stringify(sync)}`);
  if (options.syncFile !== undefined && typeof options.syncFile !== 'function')
    throw new InvalidArgumentError('syncFile', `must be a function (fd) => Promise<void>, got ${typeof options.syncFile}`);
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  if (!Number.isInteger(bodyLimit) || bodyLimit < 1024)
    throw new InvalidArgumentError('bodyLimit', `must be an integer ≥ 1024, got ${bodyLimit}`);
  const requestTimeoutMs = intAtLeast('requestTimeoutMs', options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, 100);
  const maxConnections = intAtLeast('maxConnections', options.maxConnections ?? DEFAULT_MAX_CONNECTIONS, 1);
  const maxHeldQueries = intAtLeast('maxHeldQueries', options.maxHeldQueries ?? DEFAULT_MAX_HELD_QUERIES, 0);
  const watchStreams = options.watchStreams ?? true;
  if (typeof watchStreams !== 'boolean') throw new InvalidArgumentError('watchStreams', `must be a boolean, got ${typeof watchStreams}`);
  const maxWatchStreams = intAtLeast('maxWatchStreams', options.maxWatchStreams ?? DEFAULT_MAX_WATCH_STREAMS, 0);
  const maxWatchesPerStream = intAtLeast('maxWatchesPerStream', options.maxWatchesPerStream ?? DEFAULT_MAX_WATCHES_PER_STREAM, 1);
  const deregisterCriticalMinMs = options.deregisterCriticalMinMs ?? 60_000;
  if (!Number.isFinite(deregisterCriticalMinMs) || deregisterCriticalMinMs < 0) {
    throw new InvalidArgumentError('deregisterCriticalMinMs', `must be ≥ 0, got ${deregisterCriticalMinMs}`);
  }
  const nodeName = options.nodeName ?? (sanitizeHostName(hostname()) || 'roster');
  if (!NAME.test(nodeName))
    throw new InvalidArgumentError('nodeName', `must be 1-64 letters, digits, ".", "_" or "-", got ${JSON.stringify(nodeName)}`);
  const datacenter = options.datacenter ?? 'dc1';
  if (!NAME.test(datacenter))
    throw new InvalidArgumentError('datacenter', `must be 1-64 letters, digits, ".", "_" or "-", got ${JSON.stringify(datacenter)}`);
  const nodeMeta = { ...(options.nodeMeta ?? {}) };
  for (const [k, v] of Object.entries(nodeMeta)) {
    if (k.startsWith('consul-')) throw new InvalidArgumentError(`nodeMeta.${k}`, 'keys starting with "consul-" are reserved');
    if (typeof v !== 'string') throw new InvalidArgumentError(`nodeMeta.${k}`, 'must be a string');
  }
  const dataDir = options.dataDir ?? '.roster-data';
  // An empty one would put the store's files in the working directory, among whatever is there.
  if (typeof dataDir !== 'string' || dataDir === '' || dataDir.includes('\0'))
    throw new InvalidArgumentError('dataDir', `must be a directory path, got ${JSON.stringify(dataDir)}`);
  const bind = options.bind ?? '127.0.0.1';
  const insecure = options.insecure ?? false;
  if (typeof bind !== 'string' || bind === '')
    throw new InvalidArgumentError('bind', `must be an IP address or host name, got ${JSON.stringify(bind)}`);
  if (!isLoopback(bind) && options.acl === undefined && !insecure) {
    throw new InvalidArgumentError(
      'bind',
      `refusing to listen on ${bind} without ACLs: anyone who reaches it could register, deregister and redirect services. ` +
        'Turn ACLs on (--acl-file <file>, option acl) or accept the risk with --insecure (option insecure)',
    );
  }
  return {
    bind,
    port,
    dataDir: resolve(dataDir),
    logLevel,
    logFormat,
    clock: options.clock ?? systemClock,
    random: options.random ?? Math.random,
    nodeName,
    nodeAddress: options.nodeAddress ?? '127.0.0.1',
    datacenter,
    nodeMeta,
    sync,
    syncFile: options.syncFile,
    bodyLimit,
    requestTimeoutMs,
    maxConnections,
    maxHeldQueries,
    watchStreams,
    maxWatchStreams,
    maxWatchesPerStream,
    deregisterCriticalMinMs,
    legacyGet: options.legacyGet ?? true,
    acl: options.acl,
    insecure,
    tls: options.tls,
    dns: resolveDns(options, insecure),
    checkAllow: checkAllowOf(options.checkAllow),
    checkCaFile: checkCaFileOf(options),
    rateLimit: rateLimitOf(options.rateLimit),
    maxHeldQueriesPerClient: intAtLeast(
      'maxHeldQueriesPerClient',
      options.maxHeldQueriesPerClient ?? DEFAULT_MAX_HELD_QUERIES_PER_CLIENT,
      0,
    ),
  };
}

function checkCaFileOf(options: ServerOptions): string | undefined {
  const file = options.checkCaFile;
  if (file === false) return undefined;
  if (file === undefined) return options.tls?.caFile;
  if (typeof file !== 'string' || file === '')
    throw new InvalidArgumentError('checkCaFile', `must be a file path or false, got ${JSON.stringify(file)}`);
  return file;
}

function rateLimitOf(limit: RateLimit | false | undefined): RateLimit | undefined {
  if (limit === false) return undefined;
  if (limit === undefined) return DEFAULT_RATE_LIMIT;
  if (typeof limit !== 'object' || limit === null) throw new InvalidArgumentError('rateLimit', 'must be { perSecond, burst } or false');
  const { perSecond, burst } = limit;
  if (!(Number.isFinite(perSecond) && perSecond > 0 && perSecond <= 1e9))
    throw new InvalidArgumentError('rateLimit.perSecond', `must be a number > 0, got ${perSecond}`);
  if (!(Number.isInteger(burst) && burst >= 1 && burst <= 1e9))
    throw new InvalidArgumentError('rateLimit.burst', `must be an integer ≥ 1, got ${burst}`);
  return { perSecond, burst };
}

function checkAllowOf(entries: readonly string[] | undefined): CheckAllowList {
  if (entries !== undefined && !Array.isArray(entries)) throw new InvalidArgumentError('checkAllow', 'must be an array of strings');
  return new CheckAllowList(entries ?? []);
}

/** The DNS options; a non-loopback DNS bind follows the same rule as the HTTP one. */
function resolveDns(options: ServerOptions, insecure: boolean): ResolvedDnsOptions | undefined {
  if (options.dns === undefined) return undefined;
  const dns = resolveDnsOptions(options.dns);
  if (dns !== undefined && !isLoopback(dns.bind) && options.acl === undefined && !insecure) {
    throw new InvalidArgumentError(
      'dns.bind',
      `refusing to answer DNS on ${dns.bind} without ACLs: anyone who reaches it could list every service. ` +
        'Turn ACLs on (--acl-file <file>, option acl) or accept the risk with --insecure (option insecure)',
    );
  }
  return dns;
}

/** True for addresses only this host can reach: 127.0.0.0/8, ::1 (also IPv4-mapped) and `localhost`. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.replace(/^::ffff:/, '');
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

function intAtLeast(option: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new InvalidArgumentError(option, `must be an integer ≥ ${min}, got ${value}`);
  return value;
}

function sanitizeHostName(name: string): string {
  return name
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '')
    .slice(0, 64);
}
