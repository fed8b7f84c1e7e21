/**
 * Where the server's HTTP and TCP checks may connect: the always-on rules (link-local and
 * metadata addresses, the library's target guard), then the own-address rule — a check reaches
 * only the address its instance registered (the node's address for a node check), widened by
 * the operator's allow-list (`--check-allow`). Decided at registration for targets written as
 * addresses (400 naming the rule), and at every probe for names, on what they resolve to (the
 * check turns critical with the rule in its output); redirects hop by hop.
 */
import { type CheckAllowList, ownAddressPolicy, refusedTarget, type TargetPolicy } from '@rosterjs/roster/health';
import type { Catalog } from '../catalog/catalog.js';
import type { CheckDefinition } from '../catalog/types.js';
import { ApiError, ServerErrorCode } from '../errors.js';

/** The check-target rules of one server. */
export class CheckTargets {
  readonly #catalog: Catalog;
  readonly #allow: CheckAllowList;

  constructor(catalog: Catalog, allow: CheckAllowList) {
    this.#catalog = catalog;
    this.#allow = allow;
  }

  /** The allow-list in force. */
  get allow(): CheckAllowList {
    return this.#allow;
  }

  /** The own address of a check's owner: its instance's address, the node's for a node check (or an unknown instance). */
  ownAddress(serviceId: string): string {
    const instance = serviceId === '' ? undefined : this.#catalog.instance(serviceId);
    return instance?.address || this.#catalog.node.address;
  }

  /** The policy a probe of a check of `serviceId` applies; the own address is read at every probe. */
  policyFor(serviceId: string): TargetPolicy {
    return ownAddressPolicy(() => this.ownAddress(serviceId), this.#allow);
  }

  /**
   * The rule refusing an HTTP or TCP target at registration, for an owner at `ownAddress`, or
   * undefined. A target written as a name is left to probe time (where it resolves), unless an
   * always-on rule already refuses it as written.
   */
  refusal(definition: Pick<CheckDefinition, 'type' | 'http' | 'tcp'>, ownAddress: string): string | undefined {
    const host = targetHost(definition);
    if (host === undefined) return undefined;
    return refusedTarget(
      host,
      ownAddressPolicy(() => ownAddress, this.#allow),
    );
  }

  /**
   * Refuses a registration whose HTTP or TCP checks target, as written, what the rules refuse.
   * @throws ApiError 400 `ROSTER_SERVER_CHECK_TARGET_REFUSED`: `Invalid check: HTTP target refused: <rule>`.
   */
  require(checks: readonly { readonly definition: Pick<CheckDefinition, 'type' | 'http' | 'tcp'> }[], ownAddress: string): void {
    for (const { definition } of checks) {
      const rule = this.refusal(definition, ownAddress);
      if (rule !== undefined) {
        throw new ApiError(ServerErrorCode.CheckTargetRefused, `Invalid check: ${definition.type.toUpperCase()} target refused: ${rule}`);
      }
    }
  }
}

/** The host of an HTTP or TCP check's target, as written; undefined for other checks or an unparsable target. */
function targetHost(d: Pick<CheckDefinition, 'type' | 'http' | 'tcp'>): string | undefined {
  if (d.type === 'http') {
    try {
      return new URL(d.http ?? '').hostname;
    } catch {
      return undefined;
    }
  }
  if (d.type === 'tcp') return /^(.+):\d{1,5}$/.exec(d.tcp ?? '')?.[1]?.replace(/^\[(.+)\]$/, '$1');
  return undefined;
}
