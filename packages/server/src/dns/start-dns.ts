/** Builds the DNS interface of a server from its parts (the wiring createServer calls). */
import type { Clock } from '@rosterjs/roster';
import type { Logger } from 'pino';
import type { Catalog } from '../catalog/catalog.js';
import type { DnsAccess } from './dns-access.js';
import type { ResolvedDnsOptions } from './dns-options.js';
import { DnsServer } from './dns-server.js';
import { PreparedInstances } from './prepared-instances.js';
import { RateLimiter } from './rate-limiter.js';

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
    limiter: new RateLimiter(options.rateLimit, deps.clock),
    bind: options.bind,
    port: options.port,
    maxQueryBytes: options.maxQueryBytes,
    maxTcpConnections: options.maxTcpConnections,
    tcpIdleTimeoutMs: options.tcpIdleTimeoutMs,
  });
}
