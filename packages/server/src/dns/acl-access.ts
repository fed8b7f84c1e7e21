/** DNS read rights from the server's ACL (spec consul-dns.md §8). */
import { InvalidArgumentError } from '@rosterjs/roster';
import type { Acl } from '../acl/acl.js';
import { type DnsAccess, OPEN_ACCESS } from './dns-access.js';

const NOTHING: DnsAccess = { service: () => false, node: () => false };

/**
 * What the DNS token (`''` = anonymous) may read. With ACLs off, everything.
 * @throws InvalidArgumentError `dns.token` when the token is not known to the ACL.
 */
export function aclAccess(acl: Acl, token: string): DnsAccess {
  if (!acl.enabled) return OPEN_ACCESS;
  let allowed: boolean;
  try {
    allowed = acl.check(token, { kind: 'read' }).allowed;
  } catch {
    throw new InvalidArgumentError('dns.token', 'is not a token of the ACL (acl.tokens)');
  }
  return allowed ? OPEN_ACCESS : NOTHING;
}
