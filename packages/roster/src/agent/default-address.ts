/**
 * The address an instance announces when none is given: where callers can reach it.
 */
import type { AddressInfo } from 'node:net';
import type { NetworkInterfaceInfo } from 'node:os';
import * as v from '../internal/options.js';

const WILDCARDS = new Set(['0.0.0.0', '::', '::ffff:0.0.0.0']);

/** One entry of `os.networkInterfaces()`, as far as it is read here. */
const networkInterface: v.Check<NetworkInterfaceInfo> = (value, path) => {
  if (!v.isObject(value)) return v.fail(path, `must be a network interface ({ address, family, internal }), got ${v.describe(value)}`);
  v.string()(value.address, v.join(path, 'address'));
  v.oneOf(['IPv4', 'IPv6'])(value.family, v.join(path, 'family'));
  v.boolean(value.internal, v.join(path, 'internal'));
  return value as unknown as NetworkInterfaceInfo;
};

/**
 * Picks the address to announce:
 * 1. the address the server listens on, when it is a specific one (`127.0.0.1`, `10.0.0.5`);
 * 2. else (wildcard or no server) the first non-internal IPv4 address of the machine;
 * 3. else the first non-internal, non-link-local IPv6 address;
 * 4. else `127.0.0.1` (only this machine can reach it; fine for a laptop).
 * @param listening what `server.address()` returned, if there is a server
 * @param interfaces `os.networkInterfaces()`
 * @throws InvalidArgumentError naming `listening.address`, `interfaces` or the entry of it that
 *   does not have the shape Node gives them.
 */
export function defaultAddress(
  listening: AddressInfo | string | null | undefined,
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>,
): string {
  if (typeof listening === 'object' && listening !== null) v.string()(listening.address, 'listening.address');
  if (!v.isObject(interfaces)) v.fail('interfaces', `must be what os.networkInterfaces() returns, got ${v.describe(interfaces)}`);
  for (const [name, list] of Object.entries(interfaces)) v.optional(v.arrayOf(networkInterface))(list, v.join('interfaces', name));
  if (typeof listening === 'object' && listening !== null && !WILDCARDS.has(listening.address)) {
    return listening.address.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
  }
  const all = Object.values(interfaces).flatMap((list) => list ?? []);
  const external = all.filter((i) => !i.internal);
  const v4 = external.find((i) => i.family === 'IPv4');
  if (v4) return v4.address;
  const v6 = external.find((i) => i.family === 'IPv6' && !/^fe80:/i.test(i.address));
  if (v6) return v6.address;
  return '127.0.0.1';
}
