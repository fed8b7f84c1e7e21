/**
 * Optional static-token ACLs (spec §7). Off by default: every request is allowed and answers
 * carry `X-Consul-Default-ACL-Policy: allow`. With a token table, each token grants `read` or
 * `write` (write includes read); requests without a token get the default policy; an unknown
 * token is refused with 403 `ACL not found`. Reads without permission are filtered (empty
 * answers), writes and agent reads are refused with Consul's `Permission denied` wording.
 */
import { createHash } from 'node:crypto';
import { InvalidArgumentError } from '@rosterjs/roster';
import { ApiError, ServerErrorCode } from '../errors.js';

/** What a token may do. */
export type AclRights = 'read' | 'write';

/** ACL settings of the server. */
export interface AclOptions {
  /** Rights of requests without a token: `allow` = write, `deny` = nothing. Default `deny`. */
  readonly defaultPolicy?: 'allow' | 'deny';
  /** Secret → rights. */
  readonly tokens: Readonly<Record<string, AclRights>>;
}

/** What a route needs. `public`: nothing (status endpoints). */
export type AclAccess =
  | { readonly kind: 'public' }
  | { readonly kind: 'read' }
  | { readonly kind: 'agent-read'; readonly permission: string }
  | { readonly kind: 'write'; readonly permission: string };

/** The outcome of an ACL decision for one request. */
export type AclDecision =
  { readonly allowed: true } | { readonly allowed: false; readonly filtered: boolean; readonly tokenGiven: boolean };

/** A stable accessor ID for a secret (the secret itself never appears in messages). */
function accessorOf(secret: string): string {
  const h = createHash('sha256').update(secret).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Decides requests against the token table. */
export class Acl {
  readonly #tokens: ReadonlyMap<string, AclRights>;
  readonly #default: AclRights | undefined;
  /** The value of X-Consul-Default-ACL-Policy. */
  readonly defaultPolicy: 'allow' | 'deny';

  /** @throws InvalidArgumentError naming a bad option. */
  constructor(options: AclOptions | undefined) {
    const tokens = new Map<string, AclRights>();
    for (const [secret, rights] of Object.entries(options?.tokens ?? {})) {
      if (secret === '' || secret === 'anonymous')
        throw new InvalidArgumentError('acl.tokens', `${JSON.stringify(secret)} cannot be a token`);
      if (rights !== 'read' && rights !== 'write')
        throw new InvalidArgumentError(`acl.tokens`, `rights must be "read" or "write", got ${JSON.stringify(rights)}`);
      tokens.set(secret, rights);
    }
    this.#tokens = tokens;
    this.enabled = options !== undefined;
    this.defaultPolicy = options === undefined ? 'allow' : (options.defaultPolicy ?? 'deny');
    this.#default = this.defaultPolicy === 'allow' ? 'write' : undefined;
  }

  /** True when ACLs are on (ACL options were given). */
  readonly enabled: boolean;

  /**
   * Decides one request.
   * @throws ApiError 403 `ACL not found` (unknown token) or `Permission denied: ...`.
   */
  check(token: string, access: AclAccess): AclDecision {
    if (!this.enabled || access.kind === 'public') return { allowed: true };
    let rights: AclRights | undefined;
    if (token === '' || token === 'anonymous') rights = this.#default;
    else {
      rights = this.#tokens.get(token);
      if (rights === undefined) throw new ApiError(ServerErrorCode.AclNotFound, 'ACL not found');
    }
    const tokenGiven = token !== '';
    switch (access.kind) {
      case 'read':
        return rights ? { allowed: true } : { allowed: false, filtered: true, tokenGiven };
      case 'agent-read':
        if (rights) return { allowed: true };
        throw this.#denied(token, access.permission);
      case 'write':
        if (rights === 'write') return { allowed: true };
        throw this.#denied(token, access.permission);
    }
  }

  #denied(token: string, permission: string): ApiError {
    const who = token === '' || token === 'anonymous' ? 'anonymous token' : `token with AccessorID '${accessorOf(token)}'`;
    return new ApiError(ServerErrorCode.PermissionDenied, `Permission denied: ${who} lacks permission '${permission}'`);
  }
}
