/**
 * The ACL file of roster serve (decision D55): JSON with the default policy, named policies in
 * Consul's rule vocabulary, the tokens (each naming policies) and the anonymous token's
 * policies. Secrets live only here (or in a file a token points to), never on a command line.
 *
 * ```json
 * { "default_policy": "deny",
 *   "policies": { "orders-write": { "service": { "orders": { "policy": "write" } } } },
 *   "tokens": [ { "secret_id": "…", "description": "orders", "policies": ["orders-write"] } ],
 *   "anonymous_policies": [] }
 * ```
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InvalidArgumentError } from '@rosterjs/roster';
import { parsePolicyRules, type PolicyRules } from './policy-rules.js';

/** The built-in policy that allows everything (Consul's `global-management`). */
export const GLOBAL_MANAGEMENT = 'global-management';
/** Consul's fixed ID of `global-management`. */
export const GLOBAL_MANAGEMENT_ID = '00000000-0000-0000-0000-000000000001';
/** The anonymous token's AccessorID (Consul's). */
export const ANONYMOUS_ACCESSOR = '00000000-0000-0000-0000-000000000002';

/** One named policy. */
export interface AclPolicy {
  readonly id: string;
  readonly name: string;
  readonly rules: PolicyRules;
}

/** One token. */
export interface AclToken {
  readonly accessorId: string;
  readonly secretId: string;
  readonly description: string;
  /** Policy names, in file order. */
  readonly policies: readonly string[];
}

/** A parsed, validated ACL configuration. */
export interface AclConfig {
  readonly defaultPolicy: 'allow' | 'deny';
  readonly policies: ReadonlyMap<string, AclPolicy>;
  readonly tokens: readonly AclToken[];
  readonly anonymousPolicies: readonly string[];
}

/**
 * The older static form (`{ tokens: { secret: 'read' | 'write' }, defaultPolicy }`), still
 * accepted by createServer: `read` = read everything, `write` = global-management.
 */
export interface StaticAclOptions {
  readonly defaultPolicy?: 'allow' | 'deny';
  readonly tokens: Readonly<Record<string, 'read' | 'write'>>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A stable UUID-shaped ID derived from a string (the secret never appears where it is shown). */
export function derivedId(kind: string, value: string): string {
  const h = createHash('sha256').update(`${kind}\u0000${value}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Reads and parses the ACL file. A token may give `secret_file` (a path, relative to the ACL
 * file) instead of `secret_id`.
 * @throws InvalidArgumentError naming the file and the bad field (never quoting a secret).
 */
export function loadAclFile(path: string): AclConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InvalidArgumentError('aclFile', `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidArgumentError('aclFile', `${path} is not valid JSON: ${(error as Error).message}`);
  }
  return parseAclConfig(json, { readSecret: (file) => readFileSync(resolve(dirname(path), file), 'utf8').trim() });
}

/**
 * Validates an ACL configuration object (the file's JSON).
 * @param how.readSecret reads a token's `secret_file` (default: refuse secret files).
 * @param how.minSecretLength shortest secret accepted (default 8).
 * @throws InvalidArgumentError naming `acl.<field>`.
 */
export function parseAclConfig(json: unknown, how: { readSecret?: (file: string) => string; minSecretLength?: number } = {}): AclConfig {
  const { readSecret, minSecretLength = 8 } = how;
  if (!isObject(json)) throw new InvalidArgumentError('acl', 'must be a JSON object');
  for (const key of Object.keys(json)) {
    if (!['default_policy', 'policies', 'tokens', 'anonymous_policies'].includes(key))
      throw new InvalidArgumentError(`acl.${key}`, 'unknown field (known: default_policy, policies, tokens, anonymous_policies)');
  }
  const defaultPolicy = json.default_policy ?? 'deny';
  if (defaultPolicy !== 'allow' && defaultPolicy !== 'deny')
    throw new InvalidArgumentError('acl.default_policy', `must be "allow" or "deny", got ${JSON.stringify(defaultPolicy)}`);
  const policies = new Map<string, AclPolicy>();
  const rawPolicies = json.policies ?? {};
  if (!isObject(rawPolicies)) throw new InvalidArgumentError('acl.policies', 'must be an object of name → rules');
  for (const [name, rules] of Object.entries(rawPolicies)) {
    if (name === GLOBAL_MANAGEMENT) throw new InvalidArgumentError(`acl.policies.${name}`, 'is built in and cannot be redefined');
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(name))
      throw new InvalidArgumentError(`acl.policies.${JSON.stringify(name)}`, 'a policy name is 1-128 letters, digits, "-" or "_"');
    policies.set(name, { id: derivedId('policy', name), name, rules: parsePolicyRules(rules, `acl.policies.${name}`) });
  }
  const names = (value: unknown, where: string): string[] => {
    if (value === undefined) return [];
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
      throw new InvalidArgumentError(where, 'must be an array of policy names');
    for (const n of value)
      if (n !== GLOBAL_MANAGEMENT && !policies.has(n)) throw new InvalidArgumentError(where, `no policy named ${JSON.stringify(n)}`);
    return value;
  };
  const tokens: AclToken[] = [];
  const rawTokens = json.tokens ?? [];
  if (!Array.isArray(rawTokens)) throw new InvalidArgumentError('acl.tokens', 'must be an array of tokens');
  const secrets = new Set<string>();
  const accessors = new Set<string>([ANONYMOUS_ACCESSOR]);
  rawTokens.forEach((raw: unknown, i) => {
    const at = `acl.tokens[${i}]`;
    if (!isObject(raw)) throw new InvalidArgumentError(at, 'must be an object');
    for (const key of Object.keys(raw)) {
      if (!['secret_id', 'secret_file', 'accessor_id', 'description', 'policies'].includes(key))
        throw new InvalidArgumentError(`${at}.${key}`, 'unknown field (known: secret_id, secret_file, accessor_id, description, policies)');
    }
    let secret: unknown = raw.secret_id;
    if (raw.secret_file !== undefined) {
      if (secret !== undefined) throw new InvalidArgumentError(at, 'give secret_id or secret_file, not both');
      if (typeof raw.secret_file !== 'string' || !readSecret) throw new InvalidArgumentError(`${at}.secret_file`, 'must be a file path');
      try {
        secret = readSecret(raw.secret_file);
      } catch (error) {
        throw new InvalidArgumentError(`${at}.secret_file`, `cannot read it: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
      }
    }
    if (typeof secret !== 'string' || secret.length < Math.max(1, minSecretLength) || /\s/.test(secret))
      throw new InvalidArgumentError(`${at}.secret_id`, `must be a string of at least ${minSecretLength} characters without spaces`);
    if (secret === 'anonymous') throw new InvalidArgumentError(`${at}.secret_id`, '"anonymous" is reserved');
    if (secrets.has(secret)) throw new InvalidArgumentError(`${at}.secret_id`, 'the same secret is given twice');
    secrets.add(secret);
    const accessorId = raw.accessor_id ?? derivedId('accessor', secret);
    if (typeof accessorId !== 'string' || !UUID.test(accessorId))
      throw new InvalidArgumentError(`${at}.accessor_id`, 'must be a lower-case UUID');
    if (accessors.has(accessorId)) throw new InvalidArgumentError(`${at}.accessor_id`, 'the same accessor ID is given twice');
    accessors.add(accessorId);
    const description = raw.description ?? '';
    if (typeof description !== 'string') throw new InvalidArgumentError(`${at}.description`, 'must be a string');
    tokens.push({ accessorId, secretId: secret, description, policies: names(raw.policies, `${at}.policies`) });
  });
  return { defaultPolicy, policies, tokens, anonymousPolicies: names(json.anonymous_policies, 'acl.anonymous_policies') };
}

/** Converts the older static form to a configuration (read → read-all policy, write → management). */
export function fromStaticOptions(options: StaticAclOptions): AclConfig {
  const readAll = {
    service_prefix: { '': { policy: 'read' } },
    node_prefix: { '': { policy: 'read' } },
    agent_prefix: { '': { policy: 'read' } },
    operator: 'read',
  };
  const tokens = Object.entries(options.tokens).map(([secret, rights]) => {
    if (rights !== 'read' && rights !== 'write')
      throw new InvalidArgumentError('acl.tokens', `rights must be "read" or "write", got ${JSON.stringify(rights)}`);
    if (secret === '' || secret === 'anonymous')
      throw new InvalidArgumentError('acl.tokens', `${JSON.stringify(secret)} cannot be a token`);
    return { secret_id: secret, policies: [rights === 'read' ? 'read-all' : GLOBAL_MANAGEMENT] };
  });
  // Static secrets may be short (older setups); the file form asks for ≥ 8 characters.
  return parseAclConfig(
    { default_policy: options.defaultPolicy ?? 'deny', policies: { 'read-all': readAll }, tokens },
    { minSecretLength: 1 },
  );
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
