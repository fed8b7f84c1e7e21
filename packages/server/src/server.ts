/**
 * createServer(): roster serve in one object. Opens the store, loads the catalog, starts the
 * checks, and serves the Consul-compatible API with Fastify. `listen()` starts accepting,
 * `close()` shuts down gracefully: stop accepting, answer held queries with the current index,
 * commit what is queued, close the store.
 */
import type { Server } from 'node:http';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { Logger } from 'pino';
import { InvalidArgumentError } from '@rosterjs/roster';
import type { Server as TlsServer } from 'node:tls';
import { Acl, type AclOptions } from './acl/acl.js';
import { readTls } from './tls/tls-files.js';
import { Waiters } from './blocking/waiters.js';
import { bootstrapCatalog, type NodeIdentity } from './store/bootstrap-catalog.js';
import { Catalog, type CatalogState } from './catalog/catalog.js';
import { CheckTargets } from './checks/check-targets.js';
import { CheckSupervisor } from './checks/check-supervisor.js';
import { CheckTrust } from './checks/check-trust.js';
import { Committer } from './commit/committer.js';
import type { ServerContext } from './context.js';
import { ServerError, ServerErrorCode } from './errors.js';
import { ListenError } from './listen-error.js';
import { type EventListener, EventStream } from './events/event-stream.js';
import { eventsFromChanges } from './events/events-from-changes.js';
import { HealthHistory } from './events/health-history.js';
import type { DnsAddress, DnsServer } from './dns/dns-server.js';
import { aclAccess } from './dns/acl-access.js';
import { startDns } from './dns/start-dns.js';
import { buildApp } from './http/app.js';
import { type HttpContext, httpContext } from './http/http-context.js';
import { Router } from './http/route.js';
import { aclRoutes } from './http/routes/acl-routes.js';
import { agentCheckRoutes } from './http/routes/agent-check-routes.js';
import { agentHealthRoutes } from './http/routes/agent-health-routes.js';
import { agentRoutes } from './http/routes/agent-routes.js';
import { agentServiceRoutes } from './http/routes/agent-service-routes.js';
import { catalogRoutes } from './http/routes/catalog-routes.js';
import { eventsRoutes } from './http/routes/events-routes.js';
import { watchRoutes } from './http/routes/watch-routes.js';
import { healthRoutes } from './http/routes/health-routes.js';
import { statusRoutes } from './http/routes/status-routes.js';
import { dashboardRoutes } from './http/routes/dashboard-routes.js';
import { rosterStatusRoutes } from './http/routes/roster-status-routes.js';
import { Metrics } from './metrics/metrics.js';
import { atLeast, atMost, createLogger } from './logging/create-logger.js';
import { logEvents } from './logging/log-events.js';
import { WatchHub, type WatchStats } from './watch/watch-hub.js';
import { isLoopback, type ResolvedOptions, resolveOptions, type ServerOptions } from './options.js';
import { Store } from './store/store.js';
import { VERSION } from './version.js';

/** Where the server listens. */
export interface ServerAddress {
  readonly host: string;
  readonly port: number;
  /** `http://host:port` (IPv6 hosts in brackets). */
  readonly url: string;
}

/** A roster serve instance. */
export interface RosterServer {
  /**
   * Starts accepting connections; resolves with the address (port 0 → the port picked).
   * @throws ListenError (`ROSTER_SERVER_LISTEN_FAILED`) naming the listener (HTTP or DNS) that
   *   could not listen, its address and why; nothing is left listening then.
   */
  listen(): Promise<ServerAddress>;
  /** Graceful shutdown; idempotent (later calls return the same promise). */
  close(): Promise<void>;
  /** The address after `listen()`, else undefined. */
  readonly address: ServerAddress | undefined;
  /** The effective options. */
  readonly options: ResolvedOptions;
  /** The current global catalog index. */
  readonly index: number;
  /** Subscribes to register / deregister / health events; returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void;
  /** Sends a request in process (no socket): Fastify's `inject`. */
  inject(request: InjectOptions): Promise<LightMyRequestResponse>;
  /** The underlying Node HTTP server (for inspection; roster owns its lifecycle). */
  readonly httpServer: Server;
  /** Where the DNS interface listens after `listen()`; undefined when DNS is off. */
  readonly dnsAddress: DnsAddress | undefined;
  /** The open streaming watches (`/v1/roster/watch`), for monitoring and tests. */
  watchStats(): WatchStats;
  /** Runs a server-run (HTTP/TCP) check now; undefined when no such check runs. */
  runCheck(checkId: string): Promise<unknown> | undefined;
  /**
   * Swaps in new settings without dropping a connection (SIGHUP): the ACL tables (ACLs must
   * have been on at start); with `tls: true`, the certificate, key and CA files are read again
   * and served to the next connection, and the check CA file (`checkCaFile`) is read again for
   * the next check runs. Requests already resolved keep the identity they had.
   * @throws InvalidArgumentError naming a TLS file that cannot be read (the old pair stays).
   * @throws InvalidArgumentError when ACLs were off at start (they cannot be turned on live).
   */
  reload(changes: { readonly acl?: AclOptions; readonly tls?: boolean }): void;
}

/** Paths of a log object where a token could be: written as `[redacted]`. */
const REDACTED = [
  'req.headers["x-consul-token"]',
  'req.headers.authorization',
  'headers["x-consul-token"]',
  'headers.authorization',
  'token',
  '*.token',
  'secretId',
  '*.secretId',
];

/**
 * Creates the server: validates options, opens the data dir (exclusively), loads the catalog
 * and starts its checks. Does not listen yet.
 * @throws InvalidArgumentError for a bad option; ServerError `ROSTER_SERVER_DATA_DIR_LOCKED`
 *   when another server uses the data dir, `ROSTER_SERVER_STORE_FAILED` when it cannot be opened.
 */
export function createServer(options: ServerOptions = {}): RosterServer {
  const opts = resolveOptions(options);
  const acl = new Acl(opts.acl, opts.nodeName);
  // Before anything is opened: an unknown DNS token is a bad option.
  const dnsAccess = opts.dns === undefined ? undefined : aclAccess(acl, opts.dns.token);
  // Likewise an unreadable check CA file (D177).
  const checkTrust = new CheckTrust(opts.checkCaFile);
  // Tokens never reach a log line: the places a request's token can be are redacted.
  const logger = createLogger(opts.logLevel, opts.logFormat, process.stdout, REDACTED);
  const loaded = openCatalog(opts);
  const core = startCore(opts, loaded, logger, checkTrust);
  logEvents(core.events, logger);
  const shutdown = shutdownSignal();
  const ctx: ServerContext = {
    options: opts,
    catalog: core.catalog,
    committer: core.committer,
    waiters: core.waiters,
    watches: core.watches,
    checks: core.supervisor,
    events: core.events,
    history: core.history,
    metrics: core.metrics,
    log: logger,
    acl,
    listenAddress: () => listenAddressOf(app, opts),
    startedAt: opts.clock.now(),
    closing: shutdown.closing,
    onClose: shutdown.onClose,
  };
  const http = httpContext(ctx);
  // Fastify's own info lines ("Server listening at …") would repeat the one start-up line.
  const app = buildApp(http, apiRouter(http), atLeast(logger, 'warn'));
  const dns =
    opts.dns === undefined || dnsAccess === undefined
      ? undefined
      : startDns(opts.dns, {
          catalog: core.catalog,
          access: dnsAccess,
          datacenter: opts.datacenter,
          clock: opts.clock,
          random: opts.random,
          log: logger,
        });
  return rosterServer({ opts, core, app, dns, logger, shutdown, acl });
}

/** The store with the catalog loaded from it. */
interface LoadedCatalog {
  readonly store: Store;
  readonly catalog: Catalog;
  /** Reads the catalog state from the store again (after a failed transaction). */
  readonly reload: () => CatalogState;
}

/** Opens the store and loads the catalog; the store is closed again when loading fails. */
function openCatalog(opts: ResolvedOptions): LoadedCatalog {
  const store = Store.open({ dir: opts.dataDir, sync: opts.sync, ...(opts.syncFile ? { syncFile: opts.syncFile } : {}) });
  const identity: NodeIdentity = { name: opts.nodeName, address: opts.nodeAddress, datacenter: opts.datacenter, meta: opts.nodeMeta };
  const reload = () => bootstrapCatalog(store, identity);
  try {
    return { store, catalog: new Catalog(reload()), reload };
  } catch (error) {
    store.close();
    throw error;
  }
}

/** The parts that change the catalog and follow its changes. */
interface Core extends LoadedCatalog {
  readonly committer: Committer;
  readonly supervisor: CheckSupervisor;
  /** What https checks trust (reloaded with the TLS files). */
  readonly trust: CheckTrust;
  readonly waiters: Waiters;
  readonly watches: WatchHub;
  readonly events: EventStream;
  readonly history: HealthHistory;
  readonly metrics: Metrics;
}

/**
 * Wires the committer to what follows a commit (waiters, checks, events, metrics) and starts the
 * checks of the loaded catalog.
 */
function startCore(opts: ResolvedOptions, loaded: LoadedCatalog, logger: Logger, trust: CheckTrust): Core {
  const { store, catalog, reload } = loaded;
  const metrics = new Metrics(
    () => catalog,
    () => opts.clock.now(),
  );
  const waiters = new Waiters(opts.clock, (delta) => metrics.blocking(delta));
  const events = new EventStream((error) => logger.error({ err: error }, 'event listener failed'));
  const watches = new WatchHub({ maxStreams: opts.maxWatchStreams, maxWatchesPerStream: opts.maxWatchesPerStream });
  const history = new HealthHistory(catalog.indexes.current);
  events.subscribe((event) => history.record(event));
  // The committer and the supervisor refer to each other: onCommit runs only after a flush,
  // which never happens before `supervisor` below exists.
  const committer = new Committer({
    catalog,
    store,
    onCommit(batch) {
      waiters.wake(batch.touched);
      watches.wake(batch.touched);
      supervisor.apply(batch.changes);
      if (events.size > 0) for (const event of eventsFromChanges(batch.changes, catalog, opts.clock.now())) events.publish(event);
    },
    recover(cause) {
      logger.error({ err: cause }, 'store transaction failed; reloading the catalog from the store');
      catalog.reset(reload());
    },
    observeCommit: (seconds, operations) => metrics.commit(seconds, operations),
    // `--sync full`: acknowledged when an fdatasync of the WAL (on the libuv pool) covers it (D80).
    ...(opts.sync === 'full' ? { durable: () => store.sync() } : {}),
    onSyncError: (cause) => logger.error({ err: cause }, 'syncing the store failed; the writes it covered were answered 500'),
  });
  const supervisor = new CheckSupervisor({
    catalog,
    committer,
    clock: opts.clock,
    random: opts.random,
    targets: new CheckTargets(catalog, opts.checkAllow),
    trust,
    onRun: (type, status) => metrics.checkRun(type, status),
    onError: (error, context) => logger.warn({ err: error }, `check supervisor: ${context}`),
  });
  supervisor.startAll();
  return { ...loaded, committer, supervisor, trust, waiters, watches, events, history, metrics };
}

/** The shutdown flag and the functions to run when shutdown begins. */
interface ShutdownSignal {
  readonly closing: () => boolean;
  readonly onClose: (fn: () => void) => () => void;
  /** Sets the flag and runs the registered functions. */
  readonly begin: () => void;
}

function shutdownSignal(): ShutdownSignal {
  const handlers = new Set<() => void>();
  let closing = false;
  return {
    closing: () => closing,
    onClose(fn) {
      handlers.add(fn);
      return () => handlers.delete(fn);
    },
    begin() {
      closing = true;
      for (const fn of [...handlers]) fn();
    },
  };
}

/** Every route of the API, in one router. */
function apiRouter(http: HttpContext): Router {
  const router = new Router();
  for (const route of [
    ...agentServiceRoutes(http),
    ...agentCheckRoutes(http),
    ...agentHealthRoutes(http),
    ...agentRoutes(http, VERSION),
    ...catalogRoutes(http),
    ...healthRoutes(http),
    ...statusRoutes(http),
    ...eventsRoutes(http),
    ...(http.options.watchStreams ? watchRoutes(http) : []),
    ...aclRoutes(http),
    ...rosterStatusRoutes(http, VERSION),
    ...dashboardRoutes(),
  ]) {
    router.add(route);
  }
  return router;
}

/** `host:port` the app listens on (IPv6 in brackets); the configured bind and port before listen. */
function listenAddressOf(app: FastifyInstance, opts: ResolvedOptions): string {
  const info = app.server.address();
  return hostPort(opts.bind, typeof info === 'object' && info !== null ? info.port : opts.port);
}

/** `host:port`, an IPv6 host in brackets. */
function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** What {@link rosterServer} puts behind the public object. */
interface ServerParts {
  readonly opts: ResolvedOptions;
  readonly core: Core;
  readonly app: FastifyInstance;
  /** The DNS interface, when configured. */
  readonly dns: DnsServer | undefined;
  readonly logger: Logger;
  readonly shutdown: ShutdownSignal;
  readonly acl: Acl;
}

/**
 * Graceful stop: stop accepting, answer held queries, stop the checks, commit what is queued,
 * close the store.
 */
async function stop({ core, app, dns, logger, shutdown }: ServerParts): Promise<void> {
  shutdown.begin();
  // Streaming watches end with a last line saying why (before Fastify waits for their connections).
  core.watches.closeAll(Buffer.from('{"Closed":"server shutting down"}\n'));
  const appClosed = app.close();
  core.waiters.releaseAll();
  await Promise.all([appClosed, dns?.close()]);
  core.supervisor.stop();
  await core.committer.close();
  core.store.close();
  logger.info('roster serve stopped');
  logger.flush();
}

/**
 * Starts listening (HTTP, then DNS when configured); resolves with the HTTP address (port 0 →
 * the port picked). When DNS cannot listen, HTTP is closed again; either failure is a ListenError.
 */
async function listen({ opts, core, app, dns, logger, shutdown, acl }: ServerParts): Promise<ServerAddress> {
  if (shutdown.closing()) throw new ServerError(ServerErrorCode.ShuttingDown, 'the server is closed');
  try {
    await app.listen({ host: opts.bind, port: opts.port });
  } catch (error) {
    throw new ListenError('HTTP', hostPort(opts.bind, opts.port), error);
  }
  let dnsAt: { host: string; port: number } | undefined;
  if (dns && opts.dns) {
    try {
      dnsAt = await dns.listen();
    } catch (error) {
      await app.close();
      throw new ListenError('DNS', `${hostPort(opts.dns.bind, opts.dns.port)} (UDP and TCP)`, error);
    }
  }
  const info = app.server.address();
  const port = typeof info === 'object' && info !== null ? info.port : opts.port;
  const host = opts.bind;
  const scheme = opts.tls === undefined ? 'http' : 'https';
  const address = { host, port, url: `${scheme}://${hostPort(host, port)}` };
  if (opts.insecure && !isLoopback(opts.bind) && !acl.enabled) {
    logger.warn(
      { address: address.url },
      'INSECURE: listening on a non-loopback address without ACLs; anyone who reaches it can register, deregister and redirect services',
    );
  }
  // The one start-up line, shown at every level but silent (scripts wait for it).
  const index = core.catalog.indexes.current;
  const dnsText = dnsAt ? `; DNS on ${dnsAt.host}:${dnsAt.port} (UDP and TCP, domain ${opts.dns?.domain})` : '';
  atMost(logger, 'info').info(
    {
      address: address.url,
      dataDir: opts.dataDir,
      index,
      acl: acl.enabled ? acl.defaultPolicy : 'off',
      ...(dnsAt ? { dns: `${dnsAt.host}:${dnsAt.port}` } : {}),
    },
    `roster serve listening on ${address.url} (data dir ${opts.dataDir}, index ${index}${dnsText})`,
  );
  return address;
}

/** The public face over the wired parts. */
function rosterServer(parts: ServerParts): RosterServer {
  const { opts, core, app, dns, acl, logger } = parts;
  let address: ServerAddress | undefined;
  let closed: Promise<void> | undefined;
  return {
    async listen() {
      address = await listen(parts);
      return address;
    },
    close() {
      closed ??= stop(parts);
      return closed;
    },
    get address() {
      return address;
    },
    options: opts,
    get index() {
      return core.catalog.indexes.current;
    },
    subscribe: (listener) => core.events.subscribe(listener),
    inject: (request) => app.inject(request),
    httpServer: app.server,
    get dnsAddress(): DnsAddress | undefined {
      return dns?.address;
    },
    watchStats: () => core.watches.stats(),
    runCheck: (checkId) => core.supervisor.runNow(checkId),
    reload(changes) {
      if (changes.acl !== undefined) {
        if (!acl.enabled) throw new InvalidArgumentError('acl', 'ACLs were off at start; restart the server to turn them on');
        acl.reload(changes.acl);
        logger.info({ acl: acl.defaultPolicy }, 'ACL file reloaded');
      }
      if (changes.tls === true && opts.tls !== undefined) {
        (app.server as unknown as TlsServer).setSecureContext(readTls(opts.tls));
        logger.info('TLS certificate and key reloaded');
      }
      if (changes.tls === true && core.trust.file !== undefined) {
        core.trust.reload();
        logger.info({ checkCaFile: core.trust.file }, 'check CA reloaded');
      }
    },
  };
}
