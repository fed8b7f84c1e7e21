/**
 * @rosterjs/server: `roster serve`, a Consul-compatible service registry in one process.
 * Exports are listed one by one (no `export *`): this file is the public API.
 */
export { Acl, AclIdentity, type AclAccess, type AclOptions } from './acl/acl.js';
export { loadAclFile, parseAclConfig, type AclConfig, type AclPolicy, type AclToken, type StaticAclOptions } from './acl/acl-config.js';
export type { TlsOptions } from './tls/tls-files.js';
export type { RemovalReason } from './catalog/change.js';
export type { DnsAddress } from './dns/dns-server.js';
export { DEFAULT_DNS_DOMAIN, DEFAULT_DNS_PORT, type DnsOptions, type ResolvedDnsOptions } from './dns/dns-options.js';
export { ApiError, type HttpErrorCode, SERVER_ERRORS, ServerError, ServerErrorCode } from './errors.js';
export { ListenError, type Listener } from './listen-error.js';
export type { EventListener } from './events/event-stream.js';
export type { DeregisterEvent, HealthEvent, RegisterEvent, RosterEvent } from './events/roster-event.js';
export { DEFAULT_BODY_LIMIT, DEFAULT_PORT, isLoopback, type ResolvedOptions, type ServerOptions } from './options.js';
export { createServer, type RosterServer, type ServerAddress } from './server.js';
export type { SyncMode } from './store/store.js';
export type { WatchStats } from './watch/watch-hub.js';
export { VERSION } from './version.js';
