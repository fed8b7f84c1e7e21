/** Parsing of common query parameters (spec §2.7). */
import { badRequest } from '../errors.js';

/** Go's strconv.ParseBool; undefined for anything else. */
export function parseGoBool(value: string): boolean | undefined {
  switch (value) {
    case '1':
    case 't':
    case 'T':
    case 'TRUE':
    case 'true':
    case 'True':
      return true;
    case '0':
    case 'f':
    case 'F':
    case 'FALSE':
    case 'false':
    case 'False':
      return false;
    default:
      return undefined;
  }
}

/** The consistency mode of a read, echoed in X-Consul-Effective-Consistency. */
export type Consistency = 'leader' | 'stale' | 'consistent';

/** Presence-only flags `stale` / `consistent`. @throws ApiError 400 when both are given. */
export function parseConsistency(query: URLSearchParams): Consistency {
  const stale = query.has('stale');
  const consistent = query.has('consistent');
  if (stale && consistent) throw badRequest('Cannot specify ?stale with ?consistent, conflicting semantics.');
  return stale ? 'stale' : consistent ? 'consistent' : 'leader';
}

/** Repeated `tag` values. */
export function tagsOf(query: URLSearchParams): string[] {
  return query.getAll('tag');
}

/** Repeated `node-meta=key:value` pairs (a value without `:` is a key with an empty value). */
export function nodeMetaOf(query: URLSearchParams): [string, string][] {
  return query.getAll('node-meta').map((pair) => {
    const i = pair.indexOf(':');
    return i < 0 ? [pair, ''] : [pair.slice(0, i), pair.slice(i + 1)];
  });
}

/**
 * The ACL token of a request (spec §7): `?token=` > `X-Consul-Token` > `Authorization: Bearer`
 * (scheme case-insensitive; other schemes such as Basic are ignored). `''` for none.
 */
export function tokenOf(query: URLSearchParams, headers: Record<string, string | string[] | undefined>): string {
  const q = query.get('token');
  if (q !== null && q !== '') return q;
  const h = headers['x-consul-token'];
  const header = Array.isArray(h) ? h[0] : h;
  if (header !== undefined && header !== '') return header;
  const auth = headers.authorization;
  const a = Array.isArray(auth) ? auth[0] : auth;
  if (a !== undefined) {
    const m = /^bearer\s+(.+)$/i.exec(a.trim());
    if (m) return m[1]!.trim();
  }
  return '';
}
