/**
 * Parses a query name the way Consul's DNS server does (spec consul-dns.md §2): labels are
 * scanned right to left for the first kind label (`service`, `node`, `addr`, …); labels left of
 * it are the parts, labels right of it the locality (datacenter). Matching is case-insensitive.
 */

/** What a query name asks for. */
export type ParsedName =
  /** Outside every domain this server answers. */
  | { readonly kind: 'outside' }
  /** The domain itself (`consul.`): only SOA and NS have answers. */
  | { readonly kind: 'apex'; readonly domain: string }
  /** Inside the domain but not a name anything can answer (unknown DC, no parts, unsupported kind). */
  | { readonly kind: 'invalid'; readonly domain: string }
  | { readonly kind: 'service'; readonly domain: string; readonly service: string; readonly tag: string | undefined }
  | { readonly kind: 'node'; readonly domain: string; readonly node: string }
  | { readonly kind: 'addr'; readonly domain: string; readonly hex: string };

/** What the parser needs to know about the server. */
export interface NameContext {
  /** Lower-case domains with the trailing dot, the primary first. */
  readonly domains: readonly string[];
  /** This server's datacenter. */
  readonly datacenter: string;
}

const KINDS = new Set(['service', 'connect', 'virtual', 'ingress', 'node', 'query', 'addr']);

/**
 * Parses `name` (as decoded, without the trailing dot) for a query of type `qtype`.
 * Never throws.
 */
export function parseQueryName(name: string, qtype: string, ctx: NameContext): ParsedName {
  const lower = `${name.toLowerCase().replace(/\.$/, '')}.`;
  let domain: string | undefined;
  for (const d of ctx.domains) {
    if (lower === d || lower.endsWith(`.${d}`)) {
      domain = d;
      break;
    }
  }
  if (domain === undefined) return { kind: 'outside' };
  if (lower === domain) return { kind: 'apex', domain };
  const labels = lower.slice(0, -domain.length - 1).split('.');
  let at = -1;
  for (let i = labels.length - 1; i >= 0; i--) {
    if (KINDS.has(labels[i]!)) {
      at = i;
      break;
    }
  }
  const invalid: ParsedName = { kind: 'invalid', domain };
  if (at === -1) {
    // RFC 2782 allows leaving out the `service` label: `_web._tcp.consul` (SRV only).
    if (qtype === 'SRV' && labels.length >= 2 && labels[0]!.startsWith('_') && labels[1]!.startsWith('_')) {
      if (!localDatacenter(labels.slice(2), ctx.datacenter)) return invalid;
      return serviceOf(labels.slice(0, 2), domain) ?? invalid;
    }
    return invalid;
  }
  const parts = labels.slice(0, at);
  if (!localDatacenter(labels.slice(at + 1), ctx.datacenter)) return invalid;
  switch (labels[at]) {
    case 'service':
      return serviceOf(parts, domain) ?? invalid;
    case 'node':
      return parts.length === 0 || parts.some((p) => p === '') ? invalid : { kind: 'node', domain, node: parts.join('.') };
    case 'addr':
      return parts.length === 1 ? { kind: 'addr', domain, hex: parts[0]! } : invalid;
    default:
      // connect, virtual, ingress, query: not offered by roster serve.
      return invalid;
  }
}

function serviceOf(parts: readonly string[], domain: string): ParsedName | undefined {
  if (parts.length === 0 || parts.some((p) => p === '')) return undefined;
  if (parts.length === 2 && parts[0]!.startsWith('_') && parts[1]!.startsWith('_')) {
    const service = parts[0]!.slice(1);
    const tag = parts[1]!.slice(1);
    if (service === '' || tag === '') return undefined;
    return { kind: 'service', domain, service, tag: tag === 'tcp' ? undefined : tag };
  }
  const service = parts.at(-1)!;
  const tag = parts.length > 1 ? parts.slice(0, -1).join('.') : undefined;
  return { kind: 'service', domain, service, tag };
}

/** Locality labels: none, `<dc>` or `<dc>.dc`; only this datacenter has a path (no peers). */
function localDatacenter(locality: readonly string[], datacenter: string): boolean {
  if (locality.length === 0) return true;
  const dc = datacenter.toLowerCase();
  if (locality.join('.') === dc) return true;
  return locality.length >= 2 && locality.at(-1) === 'dc' && locality.slice(0, -1).join('.') === dc;
}
