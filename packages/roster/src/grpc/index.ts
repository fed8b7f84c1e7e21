/**
 * `@rosterjs/roster/grpc`: roster for grpc-js clients and servers. The only entry that loads
 * `@grpc/grpc-js` (an optional peer dependency). Exports are listed one by one.
 */
export { addGrpcHealthService, GRPC_HEALTH_SERVICE, type GrpcHealthSource } from './grpc-health.js';
export {
  DEFAULT_GRPC_LB,
  DEFAULT_GRPC_RETRY,
  type GrpcResolverOptions,
  type GrpcRetryPolicy,
  type GrpcServiceSettings,
} from './grpc-options.js';
export { ServingStatus } from './health-codec.js';
export { registerGrpcResolver } from './register-grpc-resolver.js';
export { GRPC_LB_POLICIES, registerGrpcLoadBalancers } from './register-load-balancers.js';
export { type GrpcServerLike } from '../agent/grpc-server-drainer.js';
