/**
 * `GET /v1/acl/token/self` (spec §8): the token the request carries, as Consul shows it. ACLs
 * off → 401 `ACL support disabled`; an unknown secret → 404 `Supplied token does not exist`
 * (Consul 1.15+). The token is resolved here, not before (the route is public to the gate).
 */
import { derivedId, GLOBAL_MANAGEMENT, GLOBAL_MANAGEMENT_ID } from '../../acl/acl-config.js';
import type { ServerContext } from '../../context.js';
import { ApiError, notFound, ServerErrorCode } from '../../errors.js';
import type { Route } from '../route.js';

/** The routes. */
export function aclRoutes(ctx: ServerContext): Route[] {
  return [
    {
      path: '/v1/acl/token/self',
      methods: ['GET'],
      name: 'acl/token/self',
      access: { kind: 'public' },
      handle(req) {
        if (!ctx.acl.enabled) throw new ApiError(ServerErrorCode.AclDisabled, 'ACL support disabled');
        let token;
        try {
          token = ctx.acl.identify(req.token).token!;
        } catch {
          throw notFound('Supplied token does not exist');
        }
        const policies = token.policies.map((name) => ({
          ID: name === GLOBAL_MANAGEMENT ? GLOBAL_MANAGEMENT_ID : derivedId('policy', name),
          Name: name,
        }));
        const index = Math.max(1, ctx.catalog.indexes.current);
        return {
          kind: 'json',
          index,
          body: {
            AccessorID: token.accessorId,
            SecretID: token.secretId,
            Description: token.description,
            ...(policies.length > 0 ? { Policies: policies } : {}),
            Local: false,
            CreateTime: new Date(ctx.startedAt).toISOString(),
            Hash: Buffer.from(
              derivedId('hash', `${token.accessorId}\u0000${token.policies.join(',')}`).replaceAll('-', ''),
              'hex',
            ).toString('base64'),
            // Tokens come from the ACL file, not from writes: they exist from the first index.
            CreateIndex: 1,
            ModifyIndex: 1,
          },
        };
      },
    },
  ];
}
