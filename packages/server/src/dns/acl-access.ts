/** DNS read rights from the server's ACL (spec consul-dns.md §8). */
import { InvalidArgumentError } from '@rosterjs/roster';
import type { Acl } from '../acl/acl.js';
import { type DnsAccess, OPEN_ACCESS } from './dns-access.js';

/**
 * What the DNS token (`''` = anonymous) may read. With ACLs off, everything.
 * @throws InvalidArgumentError `dns.token` when the token is not known to the ACL.
 */
export function aclAccess(acl: Acl, token: string): DnsAccess {
  if (!acl.enabled) return OPEN_ACCESS;
  try {
    acl.identify(token);
  } catch {
    throw new InvalidArgumentError('dns.token', 'is not a token of the ACL (acl.tokens)');
  }
  // Asked per answer, so a reloaded ACL file (SIGHUP) applies to DNS at once.
  const allows = (resource: 'service' | 'node', name: string) => {
    try {
      return acl.identify(token).allows(resource, name, 'read');
    } catch {
      return false;
    }
  };
  return { service: (name) => allows('service', name), node: (name) => allows('node', name) };
}
