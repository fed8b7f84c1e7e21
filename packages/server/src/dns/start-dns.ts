/** Builds the DNS interface of a server from its parts (the wiring createServer calls). */
import type { Clock } from '@rosterjs/roster';
import type { Logger } from 'pino';
import type { Catalog } from '../catalog/catalog.js';
import type { DnsAccess } from './dns-access.js';
import type { ResolvedDnsOptions } from './dns-options.js';
import { DnsServer } from './dns-server.js';
import { PreparedInstances } from './prepared-instances.js';
import { RateLimiter } from '../limits/rate-limiter.js';

/** The server parts DNS reads. */
export interface DnsDependencies {
  readonly catalog: Catalog;
  /** What DNS may show (from the ACL and the DNS token, see acl-access.ts). */
  readonly access: DnsAccess;
  readonly datacenter: string;
  readonly clock: Clock;
  readonly random: () => number;
  readonly log: Logger;
}

/** Client addresses the DNS rate limit tracks at once (docs/limits.md). */
export const DNS_TRACKED_ADDRESSES = 10_000;

/** The DNS listeners (not yet listening). */
export function startDns(options: ResolvedDnsOptions, deps: DnsDependencies): DnsServer {
  const { access } = deps;
  return new DnsServer({
    context: {
      catalog: deps.catalog,
      options,
      datacenter: deps.datacenter,
      access,
      random: deps.random,
      now: () => deps.clock.now(),
      prepared: new PreparedInstances(),
      onError: (error) => deps.log.warn({ err: error }, 'dns: query failed'),
    },
    // The HTTP API's token buckets, one per client address; 0 = no limit.
    limiter:
      options.rateLimit === 0
        ? undefined
        : new RateLimiter({ perSecond: options.rateLimit, burst: options.rateLimit }, deps.clock, DNS_TRACKED_ADDRESSES),
    bind: options.bind,
    port: options.port,
    maxQueryBytes: options.maxQueryBytes,
    maxTcpConnections: options.maxTcpConnections,
    tcpIdleTimeoutMs: options.tcpIdleTimeoutMs,
  });
}
