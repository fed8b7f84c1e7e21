/**
 * The operator's allow-list of check targets (roster serve's `--check-allow`): CIDRs (IPv4 and
 * IPv6) and host names (exact, or `*.suffix` for every name under a domain). It widens the
 * own-address rule (target-policy.ts); it never widens the always-on rules of target-guard.ts.
 */
import { BlockList, isIP } from 'node:net';
import { InvalidArgumentError } from '../errors.js';
import { canonicalAddress } from './target-guard.js';

const NAME = /^(?=.{1,253}$)(?:\*\.)?[a-z0-9_](?:[a-z0-9_-]{0,62})?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,62})?)*$/;

/** An immutable, parsed allow-list. */
export class CheckAllowList {
  readonly #cidrs = new BlockList();
  readonly #names = new Set<string>();
  readonly #suffixes: string[] = [];
  /** The entries as given (normalized), for messages and logs. */
  readonly entries: readonly string[];

  /**
   * @param entries CIDRs (`10.0.0.0/8`, `fd00::/8`), single addresses (`10.1.2.3`) and host
   *   names (`db.internal`, `*.svc.internal`); empty strings are skipped.
   * @throws InvalidArgumentError (field `checkAllow[i]`) for an entry that is none of these.
   */
  constructor(entries: readonly string[] = []) {
    if (!Array.isArray(entries)) throw new InvalidArgumentError('checkAllow', 'must be an array of addresses or CIDR ranges');
    const kept: string[] = [];
    entries.forEach((raw, i) => {
      if (typeof raw !== 'string') throw new InvalidArgumentError(`checkAllow[${i}]`, 'must be a string');
      const entry = raw.trim().toLowerCase().replace(/\.$/, '');
      if (entry === '') return;
      const slash = entry.indexOf('/');
      const address = canonicalAddress(slash < 0 ? entry : entry.slice(0, slash));
      if (address !== undefined) {
        const family = isIP(address) === 4 ? 'ipv4' : 'ipv6';
        const max = family === 'ipv4' ? 32 : 128;
        const bits = slash < 0 ? max : Number(entry.slice(slash + 1));
        if (!/^\d{1,3}$/.test(slash < 0 ? String(max) : entry.slice(slash + 1)) || bits > max) {
          throw new InvalidArgumentError(`checkAllow[${i}]`, `${JSON.stringify(raw)}: the prefix length must be 0-${max}`);
        }
        this.#cidrs.addSubnet(address, bits, family);
      } else if (slash < 0 && NAME.test(entry)) {
        if (entry.startsWith('*.')) this.#suffixes.push(entry.slice(1));
        else this.#names.add(entry);
      } else {
        throw new InvalidArgumentError(
          `checkAllow[${i}]`,
          `${JSON.stringify(raw)} is not a CIDR (10.0.0.0/8), an IP address or a host name (db.internal, *.svc.internal)`,
        );
      }
      kept.push(entry);
    });
    this.entries = kept;
  }

  /** True when nothing is allowed beyond the own-address rule. */
  get empty(): boolean {
    return this.entries.length === 0;
  }

  /** Does a CIDR entry hold this IP address (any form `canonicalAddress` accepts)? */
  allowsAddress(address: string): boolean {
    const a = canonicalAddress(address);
    if (a === undefined) return false;
    return this.#cidrs.check(a, isIP(a) === 4 ? 'ipv4' : 'ipv6');
  }

  /** Is this host name (not an address) allowed by a name entry? Case-insensitive; a trailing dot is ignored. */
  allowsName(name: string): boolean {
    const n = name.toLowerCase().replace(/\.$/, '');
    if (isIP(n) !== 0) return false;
    return this.#names.has(n) || this.#suffixes.some((s) => n.endsWith(s) && n.length > s.length);
  }
}
