/**
 * The check-target guard: health checks cannot be turned against the network. Link-local and
 * cloud metadata addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254, 100.100.100.200) are
 * refused in every spelling: decimal, octal and hex IPv4, short forms, percent-encoding,
 * trailing dots (all normalized by the WHATWG URL host parser), and IPv4 embedded in IPv6
 * (mapped `::ffff:`, compatible `::`, NAT64 `64:ff9b::`). Names are checked where they are
 * resolved, at connect time, by {@link guardedLookup}, so a name that resolves to such an
 * address never gets a socket connected.
 */
import { InvalidArgumentError } from '../errors.js';
import { type LookupAddress, lookup as dnsLookup, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/** Why a target is refused: the rule's name, shown in 400 answers and in critical outputs. */
export type RefusalRule = string;

const V4_RULES: readonly [string, number, RefusalRule][] = [
  ['169.254.0.0', 16, 'link-local addresses (169.254.0.0/16) are never a check target'],
  ['100.100.100.200', 32, 'cloud metadata address 100.100.100.200 is never a check target'],
];
const V6_RULES: readonly [string, number, RefusalRule][] = [
  ['fe80::', 10, 'link-local addresses (fe80::/10) are never a check target'],
  ['fd00:ec2::254', 128, 'cloud metadata address fd00:ec2::254 is never a check target'],
];
const lists = [...V4_RULES.map((r) => [r, 'ipv4'] as const), ...V6_RULES.map((r) => [r, 'ipv6'] as const)].map(([rule, type]) => {
  const list = new BlockList();
  list.addSubnet(rule[0], rule[1], type);
  return { list, type, rule: rule[2] };
});

/** The IPv4 address an IPv6 address embeds (mapped, compatible or NAT64), else undefined. */
function embeddedV4(v6: string): string | undefined {
  const words = expandV6(v6);
  if (!words) return undefined;
  const head = words.slice(0, 6);
  const zero = (ws: number[]) => ws.every((w) => w === 0);
  const mapped = zero(head.slice(0, 5)) && head[5] === 0xffff;
  const compatible = zero(head) && (words[6] !== 0 || words[7]! > 1);
  const nat64 = head[0] === 0x64 && head[1] === 0xff9b && zero(head.slice(2));
  if (!mapped && !compatible && !nat64) return undefined;
  return [words[6]! >> 8, words[6]! & 255, words[7]! >> 8, words[7]! & 255].join('.');
}

/** The eight 16-bit words of an IPv6 address (a dotted IPv4 tail allowed), else undefined. */
function expandV6(address: string): number[] | undefined {
  let a = address.toLowerCase().replace(/%.*$/, '');
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (tail) {
    const b = tail[1]!.split('.').map(Number);
    a = `${a.slice(0, -tail[1]!.length)}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [left, right] = a.split('::') as [string, string | undefined];
  const l = left === '' ? [] : left.split(':');
  const r = right === undefined || right === '' ? [] : right.split(':');
  const missing = 8 - l.length - r.length;
  if (right === undefined ? l.length !== 8 : missing < 1) return undefined;
  const words = [...l, ...Array<string>(right === undefined ? 0 : missing).fill('0'), ...r].map((w) => parseInt(w, 16));
  return words.length === 8 && words.every((w) => w >= 0 && w <= 0xffff) ? words : undefined;
}

/**
 * The rule that refuses an IP address (any form `net.isIP` accepts), or undefined when allowed.
 * Not an IP address → undefined (names are checked after resolution).
 */
export function refusedAddress(address: string): RefusalRule | undefined {
  if (typeof address !== 'string') throw new InvalidArgumentError('address', 'must be a string');
  const bare = address.replace(/^\[(.*)\]$/, '$1');
  const family = isIP(bare);
  if (family === 0) return undefined;
  if (family === 6) {
    const v4 = embeddedV4(bare);
    if (v4 !== undefined) return refusedAddress(v4);
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const { list, type: t, rule } of lists) if (t === type && list.check(bare.replace(/%.*$/, ''), type)) return rule;
  return undefined;
}

/**
 * Normalizes a host as a URL would (`0xA9FEA9FE`, `0251.0376.0251.0376`, `2852039166`,
 * `169.254.169.254.`, `%31…` all become `169.254.169.254`; IPv6 is compressed, brackets removed).
 * A host the URL parser refuses is returned as given (lower-cased, without a trailing dot).
 */
export function normalizeHost(host: string): string {
  if (typeof host !== 'string') throw new InvalidArgumentError('host', 'must be a string');
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  const literal = bare.includes(':') ? `[${bare}]` : bare;
  try {
    return new URL(`http://${literal}/`).hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  } catch {
    return bare.toLowerCase().replace(/\.$/, '');
  }
}

/**
 * The one comparable form of an IP address written any way a URL host may be (see
 * {@link normalizeHost}): dotted IPv4, IPv4-mapped IPv6 (`::ffff:a.b.c.d`, which the kernel
 * connects as IPv4) as dotted IPv4, other IPv6 compressed and lower-case without brackets or zone.
 * Undefined for a host name.
 */
export function canonicalAddress(host: string): string | undefined {
  if (typeof host !== 'string') throw new InvalidArgumentError('host', 'must be a string');
  const n = normalizeHost(host).replace(/%.*$/, '');
  const family = isIP(n);
  if (family === 0) return undefined;
  if (family === 4) return n;
  const words = expandV6(n);
  if (words === undefined) return undefined;
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) {
    return [words[6]! >> 8, words[6]! & 255, words[7]! >> 8, words[7]! & 255].join('.');
  }
  return normalizeHost(`[${words.map((w) => w.toString(16)).join(':')}]`);
}

/** The rule refusing a host as written (after normalization), or undefined (names: see {@link guardedLookup}). */
export function refusedHost(host: string): RefusalRule | undefined {
  if (typeof host !== 'string') throw new InvalidArgumentError('host', 'must be a string');
  return refusedAddress(normalizeHost(host)) ?? refusedAddress(host);
}

/**
 * A check's target rules. Contract: pure and synchronous (called on every hop and every
 * resolved address); `undefined` means allowed.
 */
export interface TargetPolicy {
  /** The rule refusing a host as written when it is an IP address (any spelling); undefined for a name or an allowed address. */
  refuseHost(host: string): RefusalRule | undefined;
  /** True when a host name is allowed whatever it resolves to (the always-on rules still apply to its addresses). */
  allowsName(name: string): boolean;
  /** The rule refusing one resolved address, or undefined. */
  refuseAddress(address: string): RefusalRule | undefined;
}

/** `dns.lookup`'s shape, as `net.connect` and `http.request` take it. */
export type LookupFunction = (
  hostname: string,
  options: LookupOptions,
  callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
) => void;

/**
 * The error of a refused target inside a probe; its message names the rule. It never leaves a
 * probe (it becomes the critical result's output), so it has no public code.
 */
export class TargetRefusedError extends Error {
  constructor(host: string, rule: RefusalRule) {
    super(`check target ${host} refused: ${rule}`);
    this.name = 'TargetRefusedError';
  }
}

/**
 * A lookup that refuses a name resolving to any refused address, before a connection is made.
 * With a `policy`, a name the policy does not allow as such connects only to the resolved
 * addresses the policy allows (the others are dropped); none left → refused with its rule.
 * @param resolve the underlying lookup (default `dns.lookup`; tests inject one).
 * @param policy the check's own target rules (target-policy.ts), on top of the always-on ones.
 */
export function guardedLookup(resolve: LookupFunction = dnsLookup as unknown as LookupFunction, policy?: TargetPolicy): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '');
      let all = addresses as LookupAddress[];
      for (const a of all) {
        const rule = refusedAddress(a.address);
        if (rule !== undefined) return callback(new TargetRefusedError(hostname, rule) as NodeJS.ErrnoException, '');
      }
      if (policy !== undefined && all.length > 0 && !policy.allowsName(hostname)) {
        const first = policy.refuseAddress(all[0]!.address);
        all = all.filter((a) => policy.refuseAddress(a.address) === undefined);
        if (all.length === 0) return callback(new TargetRefusedError(hostname, first!) as NodeJS.ErrnoException, '');
      }
      const first = all[0];
      if (first && options.all) return callback(null, all);
      if (!first) return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '');
      callback(null, first.address, first.family);
    });
  };
}

/**
 * The rule refusing a host as written, before any socket: the always-on rules, then the
 * policy's (names are left to the lookup). Undefined when it may be tried.
 */
export function refusedTarget(host: string, policy?: TargetPolicy): RefusalRule | undefined {
  if (typeof host !== 'string') throw new InvalidArgumentError('host', 'must be a string');
  if (policy !== undefined && typeof (policy as Partial<TargetPolicy> | null)?.refuseHost !== 'function') {
    throw new InvalidArgumentError('policy', 'must be a TargetPolicy (with a refuseHost function)');
  }
  return refusedHost(host) ?? policy?.refuseHost(host);
}
