/**
 * registerGrpcResolver(): makes `roster:///<service>` a grpc-js target.
 */
import { experimental } from '@grpc/grpc-js';
import { rosterResolverClass } from './grpc-name-resolver.js';
import { type GrpcResolverOptions, normalizeGrpcOptions } from './grpc-options.js';
import { registerGrpcLoadBalancers } from './register-load-balancers.js';

/**
 * Registers the `roster` scheme (or `options.scheme`) with grpc-js, and roster's LB policies
 * (`roster_p2c_ewma`, `roster_weighted`). Afterwards a channel to `roster:///orders` (or
 * `roster:///orders?tag=v2&zone=eu-1`, `?lb=roster_weighted`) finds the passing instances of
 * `orders` through the process-wide Resolver of that service on `registry` and follows its
 * changes; the resolver's service config names the LB policy (default `roster_p2c_ewma`) and a
 * retry policy (UNAVAILABLE retried). Per-service settings in `services`, a target's `?lb=`, and
 * a channel's own `grpc.service_config` option override it, in that order.
 *
 * grpc-js keeps one resolver per scheme for the whole process: registering the same scheme again
 * replaces the earlier registration for channels created afterwards.
 *
 * ```ts
 * registerGrpcResolver({ registry: connect('consul://127.0.0.1:8500') });
 * const client = new Orders('roster:///orders', credentials.createInsecure());
 * ```
 * @throws InvalidArgumentError naming the bad option.
 */
export function registerGrpcResolver(options: GrpcResolverOptions): void {
  const settings = normalizeGrpcOptions(options);
  registerGrpcLoadBalancers();
  experimental.registerResolver(settings.scheme, rosterResolverClass(settings));
}
