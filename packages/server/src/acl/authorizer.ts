/**
 * The decision of one token's merged rules for one resource name (spec §5): an exact rule
 * whose label equals the name wins outright; otherwise the longest prefix rule; its
 * disposition alone decides; no rule → the default policy.
 */
import type { AclResource, Disposition, LabelledResource, PolicyRules } from './policy-rules.js';

/** The access asked for. */
export type AccessLevel = 'read' | 'write';

/** Decides requests of one token (immutable; built when the ACL file is loaded). */
export class Authorizer {
  readonly #rules: PolicyRules;
  readonly #allowByDefault: boolean;
  readonly #manageAll: boolean;
  /** Prefix labels per kind, longest first. */
  readonly #prefixes: Readonly<Record<LabelledResource, readonly [string, Disposition][]>>;
  readonly #readsAll: boolean;

  /**
   * @param rules the token's merged rules.
   * @param defaultPolicy what applies when no rule matches.
   * @param manageAll the token holds `global-management`: everything is allowed.
   */
  constructor(rules: PolicyRules, defaultPolicy: 'allow' | 'deny', manageAll: boolean) {
    this.#rules = rules;
    this.#allowByDefault = defaultPolicy === 'allow';
    this.#manageAll = manageAll;
    const sorted = (m: ReadonlyMap<string, Disposition>) => [...m].sort((a, b) => b[0].length - a[0].length);
    this.#prefixes = { service: sorted(rules.prefix.service), node: sorted(rules.prefix.node), agent: sorted(rules.prefix.agent) };
    this.#readsAll = manageAll || (this.#readsEvery(rules, 'service') && this.#readsEvery(rules, 'node'));
  }

  /**
   * True when this token may read every service and every node, whatever their names (no
   * `deny` rule, and a `""` prefix rule or the default policy allows the rest): list reads then
   * need no filtering, and may be answered from the unfiltered response cache.
   */
  get readsAll(): boolean {
    return this.#readsAll;
  }

  #readsEvery(rules: PolicyRules, resource: 'service' | 'node'): boolean {
    const dispositions = [...rules.exact[resource].values(), ...rules.prefix[resource].values()];
    if (dispositions.includes('deny')) return false;
    const root = rules.prefix[resource].get('');
    return root === 'read' || root === 'write' || this.#allowByDefault;
  }

  /** True when the token holds `global-management`. */
  get manageAll(): boolean {
    return this.#manageAll;
  }

  /** May this token do `level` on `resource` `name` (name ignored for `operator`)? */
  allows(resource: AclResource, name: string, level: AccessLevel): boolean {
    if (this.#manageAll) return true;
    const d = resource === 'operator' ? this.#rules.operator : this.#select(resource, name);
    if (d === undefined) return this.#allowByDefault;
    return d === 'write' || (d === 'read' && level === 'read');
  }

  #select(resource: LabelledResource, name: string): Disposition | undefined {
    const exact = this.#rules.exact[resource].get(name);
    if (exact !== undefined) return exact;
    for (const [label, d] of this.#prefixes[resource]) if (name.startsWith(label)) return d;
    return undefined;
  }
}
