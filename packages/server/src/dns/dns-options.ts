/**
 * Options of roster serve's DNS interface, validated once (naming the bad option), with every
 * default in one place. Durations are whole seconds, as DNS TTLs are.
 */
import { isIP } from 'node:net';
import { InvalidArgumentError } from '@rosterjs/roster';

/** Options of the DNS interface (`createServer({ dns })`). */
export interface DnsOptions {
  /** UDP and TCP port; default 8600; 0 picks a free port (the same for both); -1 turns DNS off. */
  readonly port?: number;
  /** Listen address (an IP address); default `127.0.0.1`. */
  readonly bind?: string;
  /** The domain answered; default `consul.`. */
  readonly domain?: string;
  /** A second domain answered the same way (replies use the domain of the question); default none. */
  readonly altDomain?: string;
  /**
   * TTL in seconds of service answers, by service name: an exact (case-insensitive) name first,
   * else the longest `prefix*` key, else `*`; default 0 for every service.
   */
  readonly serviceTtl?: Readonly<Record<string, number>>;
  /** TTL in seconds of node, `.addr.` and NS answers; default 0. */
  readonly nodeTtl?: number;
  /** Most A/AAAA records in one answer (after shuffling); 0 = no cap (default). Not applied to SRV. */
  readonly aRecordLimit?: number;
  /** Most answers over UDP without EDNS0 (or EDNS0 buffer ≤ 512), at most 8; default 3 (Consul's). */
  readonly udpAnswerLimit?: number;
  /** Order A/AAAA answers by a weighted shuffle (an instance leads in proportion to its weight); default false. */
  readonly weightedA?: boolean;
  /** Set the TC bit when a UDP answer was trimmed (clients then retry over TCP); default true. */
  readonly truncate?: boolean;
  /** Answer only instances whose every check is passing (warning dropped too); default false. */
  readonly onlyPassing?: boolean;
  /** Add node meta as TXT records in the additional section; default true. */
  readonly nodeMetaTxt?: boolean;
  /** ACL token whose read rights DNS answers are filtered by; default the anonymous token. */
  readonly token?: string;
  /** Queries per second per client address (token bucket, burst = the same number); 0 = unlimited; default 10000. */
  readonly rateLimit?: number;
  /** Largest query accepted, in bytes (UDP datagram or TCP message); default 4096. */
  readonly maxQueryBytes?: number;
  /** Open TCP connections; default 256 (one more is closed at once). */
  readonly maxTcpConnections?: number;
  /** A TCP connection idle this long (ms) is closed; default 10 s. */
  readonly tcpIdleTimeoutMs?: number;
}

/** DNS options with every default applied. */
export interface ResolvedDnsOptions {
  readonly port: number;
  readonly bind: string;
  /** Lower-case, with the trailing dot: `consul.`. */
  readonly domain: string;
  readonly altDomain: string | undefined;
  readonly serviceTtl: Readonly<Record<string, number>>;
  readonly nodeTtl: number;
  readonly aRecordLimit: number;
  readonly udpAnswerLimit: number;
  readonly weightedA: boolean;
  readonly truncate: boolean;
  readonly onlyPassing: boolean;
  readonly nodeMetaTxt: boolean;
  readonly token: string;
  readonly rateLimit: number;
  readonly maxQueryBytes: number;
  readonly maxTcpConnections: number;
  readonly tcpIdleTimeoutMs: number;
}

/** Default DNS port, as Consul's. */
export const DEFAULT_DNS_PORT = 8600;
/** Default DNS domain, as Consul's. */
export const DEFAULT_DNS_DOMAIN = 'consul.';
/** Longest TTL accepted (2^31−1 s, RFC 2181). */
const MAX_TTL = 2 ** 31 - 1;
const LABEL = /^[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?$/;

/**
 * Applies defaults and validates. Returns undefined when DNS is off (`port: -1`).
 * @throws InvalidArgumentError naming the option (`dns.<name>`).
 */
export function resolveDnsOptions(options: DnsOptions): ResolvedDnsOptions | undefined {
  const port = options.port ?? DEFAULT_DNS_PORT;
  if (!Number.isInteger(port) || port < -1 || port > 65_535)
    throw new InvalidArgumentError('dns.port', `must be an integer 0-65535, or -1 for off, got ${port}`);
  if (port === -1) return undefined;
  const bind = options.bind ?? '127.0.0.1';
  if (isIP(bind) === 0) throw new InvalidArgumentError('dns.bind', `must be an IP address, got ${JSON.stringify(bind)}`);
  const domain = domainOf('dns.domain', options.domain ?? DEFAULT_DNS_DOMAIN);
  const altDomain = options.altDomain === undefined ? undefined : domainOf('dns.altDomain', options.altDomain);
  if (altDomain === domain) throw new InvalidArgumentError('dns.altDomain', `must differ from dns.domain (${domain})`);
  const serviceTtl: Record<string, number> = Object.create(null) as Record<string, number>;
  for (const [key, value] of Object.entries(options.serviceTtl ?? {})) {
    if (key === '' || (key.includes('*') && !key.endsWith('*')) || key.indexOf('*') !== key.lastIndexOf('*'))
      throw new InvalidArgumentError('dns.serviceTtl', `keys are a service name, "prefix*" or "*", got ${JSON.stringify(key)}`);
    serviceTtl[key.toLowerCase()] = ttl(`dns.serviceTtl.${key}`, value);
  }
  return {
    port,
    bind,
    domain,
    altDomain,
    serviceTtl,
    nodeTtl: ttl('dns.nodeTtl', options.nodeTtl ?? 0),
    aRecordLimit: int('dns.aRecordLimit', options.aRecordLimit ?? 0, 0, 65_535),
    udpAnswerLimit: int('dns.udpAnswerLimit', options.udpAnswerLimit ?? 3, 1, 8),
    weightedA: bool('dns.weightedA', options.weightedA ?? false),
    truncate: bool('dns.truncate', options.truncate ?? true),
    onlyPassing: bool('dns.onlyPassing', options.onlyPassing ?? false),
    nodeMetaTxt: bool('dns.nodeMetaTxt', options.nodeMetaTxt ?? true),
    token: tokenOf(options.token),
    rateLimit: int('dns.rateLimit', options.rateLimit ?? 10_000, 0, 10_000_000),
    maxQueryBytes: int('dns.maxQueryBytes', options.maxQueryBytes ?? 4096, 512, 65_535),
    maxTcpConnections: int('dns.maxTcpConnections', options.maxTcpConnections ?? 256, 1, 65_536),
    tcpIdleTimeoutMs: int('dns.tcpIdleTimeoutMs', options.tcpIdleTimeoutMs ?? 10_000, 100, 2 ** 31 - 1),
  };
}

/** `consul`, `Consul.` → `consul.`; every label a DNS label. */
function domainOf(option: string, value: unknown): string {
  if (typeof value !== 'string') throw new InvalidArgumentError(option, `must be a string, got ${typeof value}`);
  const name = value.toLowerCase().replace(/\.$/, '');
  const labels = name.split('.');
  if (name === '' || name.length > 200 || !labels.every((l) => LABEL.test(l)))
    throw new InvalidArgumentError(option, `must be a domain name of letters, digits, "-" and "_" labels, got ${JSON.stringify(value)}`);
  return `${name}.`;
}

function ttl(option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_TTL)
    throw new InvalidArgumentError(option, `must be a whole number of seconds 0-${MAX_TTL}, got ${String(value)}`);
  return value;
}

function int(option: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw new InvalidArgumentError(option, `must be an integer ${min}-${max}, got ${String(value)}`);
  return value;
}

function bool(option: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new InvalidArgumentError(option, `must be true or false, got ${String(value)}`);
  return value;
}

function tokenOf(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value !== 'string') throw new InvalidArgumentError('dns.token', 'must be a string');
  return value;
}
