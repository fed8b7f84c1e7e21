/**
 * ACLs of roster serve, Consul-compatible (../shared/spec/consul-acl.md). Off by default: every
 * request is allowed and answers carry `X-Consul-Default-ACL-Policy: allow`. On (an ACL file or
 * static tokens): every request's token is resolved first (unknown → 403 `ACL not found`),
 * then each route asks {@link AclIdentity} about the service, node, agent or operator it
 * touches: writes and single-object reads are refused with Consul's `Permission denied` text,
 * list reads are filtered. The tables are swapped whole on reload; a request keeps the identity
 * it was resolved with.
 */
import { ApiError, ServerErrorCode } from '../errors.js';
import { type AccessLevel, Authorizer } from './authorizer.js';
import {
  ANONYMOUS_ACCESSOR,
  type AclConfig,
  type AclToken,
  fromStaticOptions,
  GLOBAL_MANAGEMENT,
  type StaticAclOptions,
} from './acl-config.js';
import { mergeRules, type AclResource } from './policy-rules.js';

/** ACL settings of the server: a parsed ACL file, or the older static token table. */
export type AclOptions = AclConfig | StaticAclOptions;

/**
 * What a route requires before its handler runs (when ACLs are on):
 * - `public`: nothing, the token is not even resolved (status endpoints);
 * - `checked`: the token is resolved (unknown → 403); the handler checks per object and filters lists;
 * - `require`: `level` on `resource`, named by this node's name (`node`), the path's rest (`rest`)
 *   or nothing (operator).
 */
export type AclAccess =
  | { readonly kind: 'public' }
  | { readonly kind: 'checked' }
  | { readonly kind: 'require'; readonly resource: AclResource; readonly level: AccessLevel; readonly name?: 'node' | 'rest' };

/** The anonymous token as `/v1/acl/token/self` shows it. */
const ANONYMOUS: AclToken = { accessorId: ANONYMOUS_ACCESSOR, secretId: 'anonymous', description: 'Anonymous Token', policies: [] };

/** What one request's token may do. Immutable. */
export class AclIdentity {
  readonly #authorizer: Authorizer | undefined;
  /** The token record (the anonymous one for requests without a token); undefined when ACLs are off. */
  readonly token: AclToken | undefined;
  /** The request carried a non-empty token string (Consul sets the filtered header only then). */
  readonly tokenGiven: boolean;

  constructor(authorizer: Authorizer | undefined, token: AclToken | undefined, tokenGiven: boolean) {
    this.#authorizer = authorizer;
    this.token = token;
    this.tokenGiven = tokenGiven;
  }

  /** True when nothing is checked (ACLs off) or the token manages everything: lists need no filtering. */
  get all(): boolean {
    return this.#authorizer === undefined || this.#authorizer.manageAll;
  }

  /** True when the token may read every service and node: list reads need no filtering (Authorizer.readsAll). */
  get readsAll(): boolean {
    return this.#authorizer === undefined || this.#authorizer.readsAll;
  }

  /** May the token do `level` on `resource` `name`? */
  allows(resource: AclResource, name: string, level: AccessLevel): boolean {
    return this.#authorizer === undefined || this.#authorizer.allows(resource, name, level);
  }

  /**
   * Refuses with Consul's text unless allowed.
   * @throws ApiError 403 `Permission denied: … lacks permission '<resource>:<level>' on "<name>"`.
   */
  require(resource: AclResource, name: string, level: AccessLevel): void {
    if (this.allows(resource, name, level)) return;
    const anonymous = this.token?.accessorId === ANONYMOUS_ACCESSOR;
    const who = anonymous ? 'anonymous token' : `token with AccessorID '${this.token?.accessorId ?? ''}'`;
    const on = resource === 'operator' ? '' : ` on ${JSON.stringify(name)}`;
    const tail = anonymous ? '. The anonymous token is used implicitly when a request does not specify a token.' : '';
    throw new ApiError(ServerErrorCode.PermissionDenied, `Permission denied: ${who} lacks permission '${resource}:${level}'${on}${tail}`);
  }
}

/** The identity of every request when ACLs are off, and of public routes. */
export const OPEN_IDENTITY = new AclIdentity(undefined, undefined, false);

interface Tables {
  readonly config: AclConfig;
  readonly bySecret: ReadonlyMap<string, { readonly token: AclToken; readonly authorizer: Authorizer }>;
  readonly anonymous: Authorizer;
}

/** Resolves tokens against the current ACL tables. */
export class Acl {
  #tables: Tables | undefined;
  readonly #nodeName: string;

  /**
   * @param nodeName this server's node name (node rules are checked against it).
   * @throws InvalidArgumentError naming a bad option (static form).
   */
  constructor(options: AclOptions | undefined, nodeName = '') {
    this.#nodeName = nodeName;
    this.#tables = options === undefined ? undefined : build(toConfig(options));
  }

  /** True when ACLs are on. */
  get enabled(): boolean {
    return this.#tables !== undefined;
  }

  /** The value of X-Consul-Default-ACL-Policy. */
  get defaultPolicy(): 'allow' | 'deny' {
    return this.#tables?.config.defaultPolicy ?? 'allow';
  }

  /** Replaces the tables (SIGHUP). Requests already resolved keep their identity. */
  reload(options: AclOptions): void {
    this.#tables = build(toConfig(options));
  }

  /**
   * The identity of a request's token (`''` = none → anonymous).
   * @throws ApiError 403 `ACL not found` for an unknown token.
   */
  identify(secret: string): AclIdentity {
    const t = this.#tables;
    if (t === undefined) return OPEN_IDENTITY;
    if (secret === '' || secret === 'anonymous') return new AclIdentity(t.anonymous, ANONYMOUS, secret !== '');
    const entry = t.bySecret.get(secret);
    if (entry === undefined) throw new ApiError(ServerErrorCode.AclNotFound, 'ACL not found');
    return new AclIdentity(entry.authorizer, entry.token, true);
  }

  /**
   * The AccessorID of a valid, non-anonymous token (what per-client limits count under), else
   * undefined (ACLs off, no token, anonymous or unknown). Never throws.
   */
  accessorOf(secret: string): string | undefined {
    if (secret === '') return undefined;
    return this.#tables?.bySecret.get(secret)?.token.accessorId;
  }

  /**
   * May `secret` (`''` = anonymous) read service `name`? The question the DNS interface asks
   * (Consul's DNS answers only what the DNS/default token may read). An unknown token may not.
   */
  mayReadService(secret: string, name: string): boolean {
    if (this.#tables === undefined) return true;
    try {
      const identity = this.identify(secret);
      return identity.allows('service', name, 'read') && identity.allows('node', this.#nodeName, 'read');
    } catch {
      return false;
    }
  }
}

function toConfig(options: AclOptions): AclConfig {
  return 'policies' in options && options.policies instanceof Map ? (options as AclConfig) : fromStaticOptions(options as StaticAclOptions);
}

function build(config: AclConfig): Tables {
  const authorizer = (names: readonly string[]) =>
    new Authorizer(
      mergeRules(names.flatMap((n) => (n === GLOBAL_MANAGEMENT ? [] : [config.policies.get(n)!.rules]))),
      config.defaultPolicy,
      names.includes(GLOBAL_MANAGEMENT),
    );
  const bySecret = new Map(config.tokens.map((token) => [token.secretId, { token, authorizer: authorizer(token.policies) }]));
  return { config, bySecret, anonymous: authorizer(config.anonymousPolicies) };
}
