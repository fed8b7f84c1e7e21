/**
 * ACL policy rules in Consul's JSON vocabulary (../shared/spec/consul-acl.md §4): `service` /
 * `service_prefix`, `node` / `node_prefix`, `agent` / `agent_prefix` (each label → `{ policy }`),
 * and `operator` (a bare disposition). Parsed once, with errors naming the bad field.
 */
import { InvalidArgumentError } from '@rosterjs/roster';

/** What a rule grants: `write` implies `read`; `deny` grants nothing. */
export type Disposition = 'read' | 'write' | 'deny';

/** A resource kind that rules name by label. */
export type LabelledResource = 'service' | 'node' | 'agent';

/** Every resource kind the server checks. */
export type AclResource = LabelledResource | 'operator';

/** The rules of one policy, parsed. */
export interface PolicyRules {
  /** Exact rules per resource kind: label → disposition. */
  readonly exact: Readonly<Record<LabelledResource, ReadonlyMap<string, Disposition>>>;
  /** Prefix rules per resource kind: label → disposition. */
  readonly prefix: Readonly<Record<LabelledResource, ReadonlyMap<string, Disposition>>>;
  readonly operator: Disposition | undefined;
}

const RESOURCES: readonly LabelledResource[] = ['service', 'node', 'agent'];
const KNOWN = new Set(['service', 'service_prefix', 'node', 'node_prefix', 'agent', 'agent_prefix', 'operator']);

/**
 * Parses one policy's rules (an object, or a JSON string as Consul's API carries them).
 * @throws InvalidArgumentError naming `<where>.<field>` for an unknown field or a bad disposition
 *   (`list` is valid only for KV rules, which roster does not have).
 */
export function parsePolicyRules(raw: unknown, where: string): PolicyRules {
  let value = raw;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      throw new InvalidArgumentError(where, 'rules must be a JSON object (HCL is not supported)');
    }
  }
  if (!isObject(value)) throw new InvalidArgumentError(where, 'rules must be an object');
  const exact = { service: new Map(), node: new Map(), agent: new Map() } as Record<LabelledResource, Map<string, Disposition>>;
  const prefix = { service: new Map(), node: new Map(), agent: new Map() } as Record<LabelledResource, Map<string, Disposition>>;
  let operator: Disposition | undefined;
  for (const [field, rules] of Object.entries(value)) {
    if (!KNOWN.has(field)) throw new InvalidArgumentError(`${where}.${field}`, `unknown rule (known: ${[...KNOWN].join(', ')})`);
    if (field === 'operator') {
      operator = disposition(rules, `${where}.operator`, 'operator');
      continue;
    }
    const isPrefix = field.endsWith('_prefix');
    const resource = (isPrefix ? field.slice(0, -'_prefix'.length) : field) as LabelledResource;
    if (!isObject(rules)) throw new InvalidArgumentError(`${where}.${field}`, 'must be an object of label → { "policy": ... }');
    for (const [label, rule] of Object.entries(rules)) {
      const at = `${where}.${field}.${JSON.stringify(label)}`;
      if (!isObject(rule) || !('policy' in rule)) throw new InvalidArgumentError(at, 'must be { "policy": "read" | "write" | "deny" }');
      const d = disposition(rule.policy, `${at}.policy`, resource);
      const table = isPrefix ? prefix[resource] : exact[resource];
      // Two rules with the same label in one policy collapse to the strongest (spec §5.1).
      table.set(label, strongest(table.get(label), d));
    }
  }
  return { exact, prefix, operator };
}

/** deny > write > read (spec §5.1, Consul's takesPrecedenceOver). */
export function strongest(a: Disposition | undefined, b: Disposition): Disposition {
  if (a === undefined) return b;
  const rank = { read: 0, write: 1, deny: 2 } as const;
  return rank[a] >= rank[b] ? a : b;
}

/** Merges the rules of several policies (a token's), same-label rules collapsing to the strongest. */
export function mergeRules(all: readonly PolicyRules[]): PolicyRules {
  const exact = { service: new Map(), node: new Map(), agent: new Map() } as Record<LabelledResource, Map<string, Disposition>>;
  const prefix = { service: new Map(), node: new Map(), agent: new Map() } as Record<LabelledResource, Map<string, Disposition>>;
  let operator: Disposition | undefined;
  for (const rules of all) {
    for (const r of RESOURCES) {
      for (const [label, d] of rules.exact[r]) exact[r].set(label, strongest(exact[r].get(label), d));
      for (const [label, d] of rules.prefix[r]) prefix[r].set(label, strongest(prefix[r].get(label), d));
    }
    if (rules.operator !== undefined) operator = strongest(operator, rules.operator);
  }
  return { exact, prefix, operator };
}

function disposition(value: unknown, where: string, resource: string): Disposition {
  if (value === 'read' || value === 'write' || value === 'deny') return value;
  throw new InvalidArgumentError(where, `Invalid ${resource} policy: must be "read", "write" or "deny", got ${JSON.stringify(value)}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
