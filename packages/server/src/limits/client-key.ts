/**
 * The key a client's requests are counted under (rate and held queries): a known token's
 * accessor when ACLs are on — tokens are identities then — else the client's address (an IPv6
 * client by its /64, the smallest block one host usually holds). A token string that is not a
 * valid token never makes a key of its own: rotating made-up tokens cannot buy fresh buckets.
 */
import { isIP } from 'node:net';

/**
 * @param accessor the AccessorID of the request's valid, non-anonymous token, else undefined.
 * @param remoteAddress the socket's remote address (undefined: a closed socket).
 */
export function clientKey(accessor: string | undefined, remoteAddress: string | undefined): string {
  if (accessor !== undefined) return `token:${accessor}`;
  const address = (remoteAddress ?? '').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  if (isIP(address) === 6) return `addr:${v6Prefix64(address)}`;
  return `addr:${address}`;
}

/** The first four words of an IPv6 address, expanded (`2001:db8:0:1::/64`). */
function v6Prefix64(address: string): string {
  const bare = address.replace(/%.*$/, '').toLowerCase();
  const [left, right] = bare.split('::') as [string, string | undefined];
  const l = left === '' ? [] : left.split(':');
  const r = right === undefined || right === '' ? [] : right.split(':');
  const words = right === undefined ? l : [...l, ...Array<string>(Math.max(0, 8 - l.length - r.length)).fill('0'), ...r];
  return `${words
    .slice(0, 4)
    .map((w) => parseInt(w, 16).toString(16))
    .join(':')}::/64`;
}
