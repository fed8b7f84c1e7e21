/**
 * `@rosterjs/roster/health`: the health-check engine roster serve runs (HTTP/TCP probes,
 * thresholds, the check runner, TTL timers, the critical reaper). A service or a client does
 * not need it; it is its own entry so the main entry stays small.
 * Exports are listed one by one (no `export *`).
 */
export {
  type ActiveCheck,
  type CheckRunner,
  type CheckRunnerOptions,
  type CheckUpdate,
  FIRST_RUN_SPREAD_MS,
  PROBE_ABANDON_MS,
  startCheck,
} from './check-runner.js';
export { type CriticalReaper, type CriticalReaperOptions, REAP_MIN_INTERVAL_MS, startCriticalReaper } from './critical-reaper.js';
export { CriticalTracker } from './critical-tracker.js';
export { HTTP_MAX_REDIRECTS, HTTP_OUTPUT_MAX_BYTES, type HttpProbeSpec, httpProbe } from './http-probe.js';
export { type Probe, type ProbeResult, probeTimeout } from './probe.js';
export { CheckAllowList } from './check-allow-list.js';
export {
  canonicalAddress,
  guardedLookup,
  type LookupFunction,
  normalizeHost,
  type RefusalRule,
  refusedAddress,
  refusedHost,
  refusedTarget,
  type TargetPolicy,
} from './target-guard.js';
export { ownAddressPolicy } from './target-policy.js';
export { parseTcpTarget, type TcpProbeSpec, type TcpTarget, tcpProbe } from './tcp-probe.js';
export { type ThresholdOptions, Thresholds } from './thresholds.js';
export { startTtlTimer, type TtlTimer, type TtlTimerOptions, ttlExpiredOutput } from './ttl-timer.js';
