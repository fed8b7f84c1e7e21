/**
 * Registers roster's LB policies with grpc-js (idempotent): `roster_p2c_ewma` (power of two
 * choices over peak-EWMA latency × outstanding calls) and `roster_weighted` (smooth weighted
 * round robin over the registry's weights), both with outlier ejection fed by call status.
 */
import { experimental } from '@grpc/grpc-js';
import { peakEwma } from '../balancer/peak-ewma.js';
import { smoothWeightedRoundRobin } from '../balancer/smooth-weighted-round-robin.js';
import { rosterLbConfigClass, rosterLoadBalancerClass } from './roster-load-balancer.js';

/** The names of roster's grpc-js LB policies. */
export const GRPC_LB_POLICIES = Object.freeze(['roster_p2c_ewma', 'roster_weighted'] as const);

/**
 * Registers `roster_p2c_ewma` and `roster_weighted` with grpc-js's LB policy registry; called by
 * `registerGrpcResolver()`. Use it alone to balance a `dns:` or `ipv4:` target with them (the
 * channel's `grpc.service_config` names the policy). Idempotent.
 */
export function registerGrpcLoadBalancers(): void {
  const policies = [
    ['roster_p2c_ewma', () => peakEwma()],
    ['roster_weighted', () => smoothWeightedRoundRobin()],
  ] as const;
  for (const [name, strategy] of policies) {
    if (experimental.isLoadBalancerNameRegistered(name)) continue;
    experimental.registerLoadBalancerType(name, rosterLoadBalancerClass(name, strategy), rosterLbConfigClass(name));
  }
}
