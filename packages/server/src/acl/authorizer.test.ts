/** Consul's rule precedence (spec §5), table-driven, and the policy file's validation. */
import { describe, expect, it } from 'vitest';
import { parseAclConfig } from './acl-config.js';
import { Authorizer } from './authorizer.js';
import { mergeRules, parsePolicyRules } from './policy-rules.js';

const authz = (policies: unknown[], defaultPolicy: 'allow' | 'deny' = 'deny') =>
  new Authorizer(mergeRules(policies.map((p, i) => parsePolicyRules(p, `p${i}`))), defaultPolicy, false);

describe('precedence (spec §5)', () => {
  it.each([
    // [policies, resource, name, level, allowed]
    [[{ service: { web: { policy: 'read' } }, service_prefix: { '': { policy: 'deny' } } }], 'service', 'web', 'read', true],
    [[{ service: { web: { policy: 'read' } }, service_prefix: { '': { policy: 'deny' } } }], 'service', 'web-api', 'read', false],
    [[{ service_prefix: { '': { policy: 'write' }, we: { policy: 'deny' } } }], 'service', 'web', 'read', false],
    [[{ service_prefix: { '': { policy: 'write' }, we: { policy: 'deny' } } }], 'service', 'db', 'write', true],
    [[{ service_prefix: { orders: { policy: 'read' } } }], 'service', 'orders-v2', 'read', true],
    [[{ service_prefix: { orders: { policy: 'read' } } }], 'service', 'orders-v2', 'write', false],
    [[{ service_prefix: { orders: { policy: 'read' } } }], 'service', 'Orders', 'read', false],
    [[{ service: { orders: { policy: 'write' } } }], 'service', 'orders', 'read', true],
    [[{ service: { orders: { policy: 'write' } } }], 'service', 'ordersx', 'read', false],
    // Same label in two policies: the strongest (deny > write > read).
    [[{ service: { web: { policy: 'write' } } }, { service: { web: { policy: 'deny' } } }], 'service', 'web', 'read', false],
    [[{ service: { web: { policy: 'read' } } }, { service: { web: { policy: 'write' } } }], 'service', 'web', 'write', true],
    // Deny wins only against the same label and kind: exact write beats a deny prefix.
    [[{ service: { web: { policy: 'write' } } }, { service_prefix: { w: { policy: 'deny' } } }], 'service', 'web', 'write', true],
    [[{ node_prefix: { '': { policy: 'read' } } }], 'node', 'node-a', 'read', true],
    [[{ node_prefix: { '': { policy: 'read' } } }], 'node', 'node-a', 'write', false],
    [[{ agent: { 'node-a': { policy: 'read' } } }], 'agent', 'node-a', 'read', true],
    [[{ operator: 'read' }], 'operator', '', 'read', true],
    [[{ operator: 'read' }], 'operator', '', 'write', false],
    [[{}], 'service', 'web', 'read', false],
  ] as const)('%j: %s %s %s → %s', (policies, resource, name, level, allowed) => {
    expect(authz([...policies]).allows(resource, name, level)).toBe(allowed);
  });

  it('no rule → the default policy', () => {
    expect(authz([{}], 'allow').allows('service', 'x', 'write')).toBe(true);
    expect(authz([{ service: { x: { policy: 'deny' } } }], 'allow').allows('service', 'x', 'read')).toBe(false);
  });

  it('global-management allows everything', () => {
    expect(new Authorizer(mergeRules([]), 'deny', true).allows('operator', '', 'write')).toBe(true);
  });
});

describe('ACL file validation', () => {
  it.each([
    [{ policies: { p: { service: { web: { policy: 'list' } } } } }, 'acl.policies.p.service."web".policy', 'Invalid service policy'],
    [{ policies: { p: { key: {} } } }, 'acl.policies.p.key', 'unknown rule'],
    [{ policies: { p: { operator: 'admin' } } }, 'acl.policies.p.operator', 'Invalid operator policy'],
    [{ tokens: [{ secret_id: 'short' }] }, 'acl.tokens[0].secret_id', 'at least 8'],
    [{ tokens: [{ secret_id: 'long-enough-1', policies: ['nope'] }] }, 'acl.tokens[0].policies', 'no policy named "nope"'],
    [{ tokens: [{ secret_id: 'long-enough-1' }, { secret_id: 'long-enough-1' }] }, 'acl.tokens[1].secret_id', 'twice'],
    [{ default_policy: 'maybe' }, 'acl.default_policy', 'must be "allow" or "deny"'],
    [{ anonymous_policies: ['x'] }, 'acl.anonymous_policies', 'no policy named'],
    [{ policies: { 'global-management': {} } }, 'acl.policies.global-management', 'built in'],
    [{ extra: 1 }, 'acl.extra', 'unknown field'],
  ])('%j → %s', (config, field, text) => {
    let error: Error | undefined;
    try {
      parseAclConfig(config);
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toContain(field);
    expect(error?.message).toContain(text);
    expect(error?.message).not.toContain('long-enough-1');
  });

  it('accepts rules as a JSON string (as Consul API clients send them) and derives stable accessor IDs', () => {
    const a = parseAclConfig({
      policies: { p: JSON.stringify({ service_prefix: { '': { policy: 'read' } } }) },
      tokens: [{ secret_id: 'long-enough-1', policies: ['p'] }],
    });
    const b = parseAclConfig({ policies: { p: {} }, tokens: [{ secret_id: 'long-enough-1', policies: ['p'] }] });
    expect(a.tokens[0]!.accessorId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a.tokens[0]!.accessorId).toBe(b.tokens[0]!.accessorId);
    expect(a.defaultPolicy).toBe('deny');
  });
});

describe('readsAll', () => {
  const rules = (json: object) => mergeRules([parsePolicyRules(json, 'p')]);
  it.each([
    [{ service_prefix: { '': { policy: 'read' } }, node_prefix: { '': { policy: 'read' } } }, 'deny', true],
    [
      { service_prefix: { '': { policy: 'write' } }, node_prefix: { '': { policy: 'read' } }, service: { web: { policy: 'read' } } },
      'deny',
      true,
    ],
    [{ service_prefix: { '': { policy: 'read' } } }, 'deny', false],
    [{ service_prefix: { '': { policy: 'read' } } }, 'allow', true],
    [{ service_prefix: { '': { policy: 'read' }, bi: { policy: 'deny' } }, node_prefix: { '': { policy: 'read' } } }, 'deny', false],
    [{ service: { billing: { policy: 'deny' } } }, 'allow', false],
    [{ service_prefix: { orders: { policy: 'read' } }, node_prefix: { '': { policy: 'read' } } }, 'deny', false],
    [{}, 'allow', true],
  ] as const)('%j with default %s → %s', (json, defaultPolicy, want) => {
    expect(new Authorizer(rules(json), defaultPolicy, false).readsAll).toBe(want);
  });
  it('management reads all', () => expect(new Authorizer(rules({}), 'deny', true).readsAll).toBe(true));
});
