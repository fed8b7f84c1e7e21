/** TTL of a service's answers (spec consul-dns.md §4, Consul's `service_ttl`). */

/**
 * The TTL in seconds for `service`: the exact (lower-case) name if configured, else the
 * longest matching `prefix*` key (`*` alone matches every name), else 0.
 * @param ttls keys lower-case, as resolved by resolveDnsOptions.
 */
export function serviceTtl(service: string, ttls: Readonly<Record<string, number>>): number {
  const name = service.toLowerCase();
  const exact = ttls[name];
  if (exact !== undefined) return exact;
  let best = -1;
  let ttl = 0;
  for (const key in ttls) {
    if (!key.endsWith('*')) continue;
    const prefix = key.slice(0, -1);
    if (prefix.length > best && name.startsWith(prefix)) {
      best = prefix.length;
      ttl = ttls[key]!;
    }
  }
  return ttl;
}
