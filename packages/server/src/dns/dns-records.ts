/** Builders of the records roster serve's DNS answers carry (SOA, NS, address, node meta TXT). */
import { isIP } from 'node:net';
import type { Answer } from 'dns-packet';

/** Domain without its trailing dot (dns-packet's name form). */
export function bareName(name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

/** The SOA of the domain (spec consul-dns.md §5): serial = the current Unix time. */
export function soaRecord(domain: string, nowMs: number): Answer {
  return {
    type: 'SOA',
    name: bareName(domain),
    ttl: 0,
    data: {
      mname: `ns.${bareName(domain)}`,
      rname: `hostmaster.${bareName(domain)}`,
      serial: Math.floor(nowMs / 1000) % 2 ** 32,
      refresh: 3600,
      retry: 600,
      expire: 86_400,
      minimum: 0,
    },
  };
}

/** `<node>.node.<dc>.<domain>` (no trailing dot). */
export function nodeTarget(node: string, datacenter: string, domain: string): string {
  return `${node}.node.${datacenter}.${bareName(domain)}`;
}

/**
 * The address record of `address` owned by `name`: A or AAAA by the address family, CNAME for a
 * host name.
 */
export function addressRecord(name: string, address: string, ttl: number, family: number = isIP(address)): Answer {
  if (family === 4) return { type: 'A', name, ttl, data: address };
  if (family === 6) return { type: 'AAAA', name, ttl, data: address };
  return { type: 'CNAME', name, ttl, data: bareName(address) };
}

/**
 * Node meta as TXT records (RFC 1464 `key=value`, or only the value for keys starting with
 * `rfc1035-`), owned by `name`.
 */
export function metaTxtRecords(name: string, meta: Readonly<Record<string, string>>, ttl: number): Answer[] {
  const out: Answer[] = [];
  for (const [key, value] of Object.entries(meta)) {
    const text = key.startsWith('rfc1035-') ? value : `${key.replace(/[`= ]/g, (c) => `\`${c}`)}=${value}`;
    out.push({ type: 'TXT', name, ttl, data: [chunks(text)].flat() });
  }
  return out;
}

/** TXT character-strings are at most 255 bytes each. */
function chunks(text: string): Buffer[] {
  const bytes = Buffer.from(text);
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 255) out.push(bytes.subarray(i, i + 255));
  return out.length === 0 ? [Buffer.alloc(0)] : out;
}
