/**
 * Which targets one check may reach, on top of the always-on rules of target-guard.ts. roster
 * serve's policy ({@link ownAddressPolicy}): a check may reach only the address its instance
 * registered (the node's address for a node check), or what the operator's allow-list adds.
 * Literal addresses are decided before a socket exists; names are decided where they resolve
 * (guardedLookup), so a name that resolves elsewhere never gets a connection.
 */
import { isIP } from 'node:net';
import type { CheckAllowList } from './check-allow-list.js';
import { canonicalAddress, normalizeHost, type RefusalRule, type TargetPolicy } from './target-guard.js';

/** Addresses that mean "this host, any interface"; never anyone's own address. */
const UNSPECIFIED = new Set(['0.0.0.0', '::']);

/**
 * The own-address rule widened by an allow-list.
 * @param own the instance's registered address (IP or name), read at every probe, so a
 *   re-registration that moves the instance moves its checks' allowed target too.
 * @param allow the operator's allow-list.
 *
 * A registered `localhost` (or an empty address) counts as 127.0.0.1 and ::1; an own address
 * given as a name allows that name (what it resolves to is the instance's business, as for its
 * callers); `0.0.0.0` and `::` are never an own address.
 */
export function ownAddressPolicy(own: () => string, allow: CheckAllowList): TargetPolicy {
  const rule = (target: string, o: string) =>
    `${target} is not the instance's own address (${o === '' ? 'none' : o}) nor in the check allow-list (--check-allow${
      allow.empty ? ', empty' : `: ${allow.entries.join(',')}`
    })`;
  const ownAddresses = (o: string): string[] => {
    const n = normalizeHost(o);
    if (n === 'localhost' || n === '') return ['127.0.0.1', '::1'];
    const a = canonicalAddress(n);
    return a === undefined || UNSPECIFIED.has(a) ? [] : [a];
  };
  const isOwnName = (name: string, o: string) => {
    const n = normalizeHost(o);
    return n !== '' && isIP(n) === 0 && normalizeHost(name) === n;
  };
  const refuseAddress = (address: string): RefusalRule | undefined => {
    const a = canonicalAddress(address);
    if (a === undefined) return undefined;
    const o = own();
    if (ownAddresses(o).includes(a) || allow.allowsAddress(a)) return undefined;
    return rule(a, o);
  };
  return {
    refuseHost: (host) => refuseAddress(host),
    allowsName: (name) => canonicalAddress(name) === undefined && (isOwnName(name, own()) || allow.allowsName(normalizeHost(name))),
    refuseAddress,
  };
}
