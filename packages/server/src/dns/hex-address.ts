/**
 * The `<hex>.addr.<dc>.<domain>` names (spec consul-dns.md §4): an IP address written as the hex
 * of its bytes, e.g. `192.0.2.10` ↔ `c000020a`; IPv6 as all 16 bytes (32 hex digits, no `::`).
 */
import { isIP } from 'node:net';

/** The hex label of an IP address; undefined when `address` is not an IP. */
export function hexOfAddress(address: string): string | undefined {
  const family = isIP(address);
  if (family === 4)
    return address
      .split('.')
      .map((b) => Number(b).toString(16).padStart(2, '0'))
      .join('');
  if (family === 6) return ipv6Groups(address)?.join('');
  return undefined;
}

/** The address a hex label names, with its family; undefined for any other label. */
export function addressOfHex(hex: string): { readonly address: string; readonly family: 4 | 6 } | undefined {
  if (!/^[0-9a-f]+$/i.test(hex)) return undefined;
  if (hex.length === 8) {
    const bytes = [0, 2, 4, 6].map((i) => parseInt(hex.slice(i, i + 2), 16));
    return { address: bytes.join('.'), family: 4 };
  }
  if (hex.length === 32) {
    const groups: string[] = [];
    for (let i = 0; i < 32; i += 4) groups.push(parseInt(hex.slice(i, i + 4), 16).toString(16));
    return { address: groups.join(':'), family: 6 };
  }
  return undefined;
}

/** The 8 groups of an IPv6 address, each 4 hex digits (lower case); handles `::` and a dotted IPv4 tail. */
function ipv6Groups(address: string): string[] | undefined {
  let text = address.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = v4[1]!.split('.').map(Number);
    text = text.slice(0, v4.index) + `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? [] : new Array<string>(8 - left.length - right.length).fill('0');
  const groups = [...left, ...fill, ...right];
  if (groups.length !== 8) return undefined;
  return groups.map((g) => g.padStart(4, '0'));
}
