/**
 * roster: service registration and discovery for TypeScript and Node.js.
 * Exports are listed one by one (no `export *`): this file is the public API.
 */
export { announce } from './agent/announce.js';
export {
  ANNOUNCE_DEFAULTS,
  type AnnounceCheck,
  type AnnounceOptions,
  type DrainOptions,
  type LagWatchdogOptions,
} from './agent/announce-options.js';
export type { Announcement, AnnouncementEvent, DrainPhase, DrainResult, DrainTrigger, HealthSource } from './agent/announcement.js';
export { attachHealth } from './agent/attach-health.js';
export { defaultAddress } from './agent/default-address.js';
export { fastifyHealth, type HealthReply } from './agent/fastify-health.js';
export { type HealthSourceRef, healthHandler } from './agent/health-handler.js';
export type { LagSource } from './agent/lag-watchdog.js';
export type { AgentHealth } from './agent/self-health.js';
export type { HttpServer } from './agent/server-drainer.js';
export type { Balancer, BalancerEvent, CallOutcome, InstanceLoad, Picker, PickerInput, PoolLoad, Strategy } from './balancer/balancer.js';
export { type ConsistentHashOptions, consistentHash } from './balancer/consistent-hash.js';
export { type BalancerOptions, createBalancer } from './balancer/create-balancer.js';
export { type LeastRequestOptions, leastRequest } from './balancer/least-request.js';
export { mulberry32 } from './balancer/mulberry32.js';
export { OutlierEjection, type OutlierEjectionOptions, outlierEjection } from './balancer/outlier-ejection.js';
export { type PeakEwmaOptions, peakEwma } from './balancer/peak-ewma.js';
export { type RandomOptions, random } from './balancer/random.js';
export { type RoundRobinOptions, roundRobin } from './balancer/round-robin.js';
export { SlowStart, type SlowStartOptions, slowStart } from './balancer/slow-start.js';
export { type SmoothWeightedRoundRobinOptions, smoothWeightedRoundRobin } from './balancer/smooth-weighted-round-robin.js';
export { type WeightedRandomOptions, weightedRandom } from './balancer/weighted-random.js';
export { type ZoneAwareOptions, zoneAware } from './balancer/zone-aware.js';
export { type Clock, sleep, systemClock, type TimerHandle } from './clock.js';
export { formatMs, parseGoDuration } from './duration.js';
export {
  AbortedError,
  AccessDeniedError,
  ClosedError,
  ErrorCode,
  InvalidArgumentError,
  isRosterError,
  LeaseLostError,
  NoInstancesError,
  NotFoundError,
  RegistryUnavailableError,
  RetriesExhaustedError,
  RosterError,
  TimeoutError,
} from './errors.js';
export { CHANNELS } from './diagnostics.js';
export { type ListenerErrorMessage, TypedEvent } from './internal/typed-event.js';
export { type BalanceOptions, balance } from './fetch/balance.js';
export { compose } from './fetch/compose.js';
export { type CreateFetchOptions, createFetch, type DiscoveryFetch } from './fetch/create-fetch.js';
export type { DiscoveryRequestInit } from './fetch/fetch-adapter.js';
export type { FetchClientOptions } from './fetch/fetch-options.js';
export type { FetchStats, InstanceStats, ServiceStats } from './fetch/fetch-stats.js';
export type { RequestOptions } from './fetch/request-options.js';
export { type RetryEvent, type RetryOptions, retry } from './fetch/retry.js';
export { RetryBudget, type RetryBudgetOptions, retryBudget } from './fetch/retry-budget.js';
export { IDEMPOTENT_METHODS, RETRYABLE_STATUSES } from './fetch/retryable.js';
export { type ServiceClient, type ServiceClientOptions, serviceClient } from './fetch/service-client.js';
export { type TimeoutOptions, timeout } from './fetch/timeout.js';
export type { CallAttempts, Middleware, Transport, TransportRequest, TransportResponse } from './fetch/transport.js';
export { type UndiciTransportOptions, undiciTransport } from './fetch/undici-transport.js';
export { LIMITS } from './limits.js';
export {
  byId,
  HEALTH_STATUSES,
  type HealthCheck,
  type HealthStatus,
  type HttpCheck,
  type Instance,
  isHealthStatus,
  type NormalizedCheck,
  type NormalizedRegistration,
  type Registration,
  type Snapshot,
  type TcpCheck,
  type TtlCheck,
} from './model.js';
export { type ConnectOptions, connect } from './registry/connect.js';
export { type MemoryRegistryOptions, memoryRegistry } from './registry/memory.js';
export { MemoryStore } from './registry/memory-store.js';
export type { CallOptions, Lease, LeaseEvent, RegisterOptions, Registry, RegistryCapabilities, WatchOptions } from './registry/registry.js';
export { diffSnapshots, type SnapshotDiff } from './resolver/diff.js';
export { Resolver, type ResolverOptions, type ResolverState, type ResolverUpdate, type SnapshotSource } from './resolver/resolver.js';
export { acquireResolver, type ResolverHandle } from './resolver/shared-resolvers.js';
export { validateId, validateRegistration } from './validate.js';
