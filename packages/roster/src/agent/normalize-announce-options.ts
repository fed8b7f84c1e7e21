/**
 * Validation of `announce()`'s options: once, before anything is registered, with an
 * InvalidArgumentError naming the option (`check.interval`, `drain.timeoutMs`), every default
 * filled in.
 */
import os from 'node:os';
import { type Clock, MAX_TIMER_MS, systemClock } from '../clock.js';
import { toMilliseconds } from '../duration.js';
import { InvalidArgumentError } from '../errors.js';
import * as v from '../internal/options.js';
import type { HttpCheck, NormalizedCheck, Registration } from '../model.js';
import type { Registry } from '../registry/registry.js';
import { validateAddress, validatePort, validateRegistration } from '../validate.js';
import { ANNOUNCE_DEFAULTS, type AnnounceOptions } from './announce-options.js';
import { defaultAddress } from './default-address.js';
import { type GrpcServerLike, isGrpcServer } from './grpc-server-drainer.js';
import type { LagSource } from './lag-watchdog.js';
import type { HttpServer } from './server-drainer.js';

/** The validated options, every default filled in. */
export interface AnnounceSettings {
  readonly registry: Registry;
  readonly registration: Registration;
  readonly server: HttpServer | GrpcServerLike | undefined;
  readonly propagationMs: number;
  readonly drainTimeoutMs: number;
  readonly signals: readonly NodeJS.Signals[];
  readonly exitOnSignal: boolean;
  readonly exitGraceMs: number;
  readonly lag:
    { readonly thresholdMs: number; readonly intervalMs: number; readonly recoverAfter: number; readonly source?: LagSource } | undefined;
  readonly clock: Clock;
  /** How long the first registration waits for the registry (`startupTimeout`). */
  readonly startupTimeoutMs: number;
  /** The heartbeat period: how often the Lease renews (ttl / 3), or the check interval without a TTL. */
  readonly heartbeatMs: number;
  /**
   * The HTTP check the agent runs itself because the registry runs none (etcd, memory; D140):
   * then it is not in `registration.checks`, and its result is reported through the lease.
   */
  readonly selfCheck: Extract<NormalizedCheck, { kind: 'http' }> | undefined;
}

const KEYS = new Set(
  'registry service port address id tags meta weight zone ttl check server drain signals exitOnSignal exitGraceMs lagWatchdog clock startupTimeout'.split(
    ' ',
  ),
);
const CHECK_KEYS = new Set(['http', 'interval', 'timeout', 'deregisterCriticalAfter']);
const DRAIN_KEYS = new Set(['propagationMs', 'timeoutMs']);
const LAG_KEYS = new Set(['thresholdMs', 'intervalMs', 'recoverAfter', 'source']);
const UNCATCHABLE = new Set(['SIGKILL', 'SIGSTOP']);

const fail = (field: string, problem: string): never => {
  throw new InvalidArgumentError(field, problem);
};

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function onlyKeys(value: Record<string, unknown>, allowed: Set<string>, prefix: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.has(key)) fail(`${prefix}${key}`, `unknown option (known: ${[...allowed].join(', ')})`);
  }
}

function ms(value: unknown, field: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value))
    return fail(field, `must be a number of milliseconds, got ${v.describe(value)}`);
  if (value < min || value > MAX_TIMER_MS) return fail(field, `must be between ${min} and ${MAX_TIMER_MS} ms, got ${value}`);
  return value;
}

/** A duration given as milliseconds or a Go string (`"30s"`), 0 … MAX_TIMER_MS. */
function goMs(value: unknown, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = toMilliseconds(value);
  if (!parsed.ok) return fail(field, parsed.error);
  return ms(parsed.ms, field, fallback, 0);
}

/**
 * Whether the registry runs HTTP checks (its `capabilities.checkKinds`). A Registry of another
 * making without `capabilities` is trusted to run what it stores, as before capabilities existed.
 */
function registryRunsHttpChecks(registry: Registry): boolean {
  const caps: unknown = (registry as Partial<Registry>).capabilities;
  if (!isObject(caps) || !Array.isArray(caps.checkKinds)) return true;
  return caps.checkKinds.includes('http');
}

function isServer(value: unknown): value is HttpServer {
  if (!isObject(value)) return false;
  return ['close', 'closeAllConnections', 'closeIdleConnections', 'prependListener', 'getConnections', 'address'].every(
    (m) => typeof value[m] === 'function',
  );
}

function checkUrl(http: unknown, address: string, port: number): string {
  if (typeof http !== 'string' || http === '') return fail('check.http', 'must be a path like "/health" or an http(s) URL');
  if (!http.startsWith('/')) return http;
  const host = address.includes(':') ? `[${address}]` : address;
  return `http://${host}:${port}${http}`;
}

/** Moves a field name of `validateRegistration` onto the option it came from (`checks[0].url` → `check.http`). */
function optionField(field: string): string {
  return field.replace(/^checks\[0\]\.url$/, 'check.http').replace(/^checks\[0\]/, 'check');
}

/**
 * Validates `announce()`'s options and fills defaults.
 * @throws InvalidArgumentError naming the first bad option.
 */
export function normalizeAnnounceOptions(options: unknown): AnnounceSettings {
  if (!isObject(options)) return fail('options', 'must be an object');
  onlyKeys(options, KEYS, '');
  const o = options as unknown as AnnounceOptions;
  if (!isObject(o.registry) || typeof o.registry.register !== 'function') fail('registry', 'must be a Registry (e.g. connect(url))');
  if (o.server !== undefined && !isServer(o.server) && !isGrpcServer(o.server)) {
    fail('server', 'must be a node:http or node:https Server (with Fastify: app.server), or a grpc-js Server');
  }
  const listening = o.server !== undefined && isServer(o.server) && o.server.listening ? o.server.address() : undefined;

  let port = o.port;
  if (port === undefined) {
    if (isGrpcServer(o.server)) return fail('port', 'is required with a grpc-js Server (the port bindAsync gave)');
    if (typeof listening !== 'object' || listening === null) return fail('port', 'is required unless `server` is listening on a TCP port');
    port = listening.port;
  }
  const address = o.address ?? defaultAddress(listening, os.networkInterfaces());
  // Checked before the check URL is built from them: a Symbol or an object here must be a named error, not a TypeError.
  validateAddress(address, 'address');
  validatePort(port, 'port');

  const ttl = o.ttl === undefined ? ANNOUNCE_DEFAULTS.ttl : o.ttl;
  if (ttl === false && o.check === undefined)
    fail('ttl', 'can be false only with a `check`: nothing would remove the instance of a crashed process');
  let check: HttpCheck | undefined;
  if (o.check !== undefined) {
    if (!isObject(o.check)) return fail('check', 'must be an object like { http: "/health", interval: "10s" }');
    onlyKeys(o.check, CHECK_KEYS, 'check.');
    const c = o.check;
    check = {
      kind: 'http',
      url: checkUrl(c.http, address, port),
      interval: c.interval ?? ANNOUNCE_DEFAULTS.checkInterval,
      ...(c.timeout === undefined ? {} : { timeout: c.timeout }),
      ...(c.deregisterCriticalAfter === undefined ? {} : { deregisterCriticalAfter: c.deregisterCriticalAfter }),
    };
  }
  const runsHttp = registryRunsHttpChecks(o.registry);
  if (check !== undefined && !runsHttp) {
    const backend = String(o.registry.capabilities.backend);
    if (ttl === false)
      fail(
        'ttl',
        `can be false only when the registry runs the check; the ${backend} registry runs none, so announce() runs it in this process and the ttl is what removes a crashed process`,
      );
    if (o.check?.deregisterCriticalAfter !== undefined)
      fail(
        'check.deregisterCriticalAfter',
        `the ${backend} registry runs no checks and cannot remove a critical instance; leave it out (the ttl removes a crashed process)`,
      );
  }
  const registration: Registration = {
    service: o.service,
    address,
    port,
    ...(o.id === undefined ? {} : { id: o.id }),
    ...(o.tags === undefined ? {} : { tags: o.tags }),
    ...(o.meta === undefined ? {} : { meta: o.meta }),
    ...(o.weight === undefined ? {} : { weight: o.weight }),
    ...(o.zone === undefined ? {} : { zone: o.zone }),
    ...(check === undefined ? {} : { checks: [check] }),
    ...(ttl === false ? {} : { ttl }),
  };
  let ttlMs = 0;
  let heartbeatMs = 0;
  let selfCheck: AnnounceSettings['selfCheck'];
  try {
    const normalized = validateRegistration(registration);
    ttlMs = normalized.ttlMs;
    const firstCheck = normalized.checks[0];
    if (firstCheck?.kind === 'http' && !runsHttp) selfCheck = firstCheck;
    heartbeatMs = ttlMs > 0 ? ttlMs / 3 : firstCheck && 'intervalMs' in firstCheck ? firstCheck.intervalMs : 10_000;
  } catch (error) {
    if (error instanceof InvalidArgumentError) {
      throw new InvalidArgumentError(optionField(error.field), error.message.slice(error.field.length + 2), { cause: error });
    }
    throw error;
  }

  const drain = o.drain ?? {};
  if (!isObject(drain)) return fail('drain', 'must be an object');
  onlyKeys(drain, DRAIN_KEYS, 'drain.');
  const signals = o.signals === false ? [] : (o.signals ?? ANNOUNCE_DEFAULTS.signals);
  if (!Array.isArray(signals)) return fail('signals', 'must be an array of signal names or false');
  signals.forEach((s: unknown, i) => {
    if (typeof s !== 'string' || !(s in os.constants.signals)) fail(`signals[${i}]`, `not a signal name: ${String(s)}`);
    if (UNCATCHABLE.has(s as string)) fail(`signals[${i}]`, `${String(s)} cannot be caught`);
  });
  if (o.exitOnSignal !== undefined && typeof o.exitOnSignal !== 'boolean') fail('exitOnSignal', 'must be a boolean');

  let lag: AnnounceSettings['lag'];
  if (o.lagWatchdog !== false) {
    const w = o.lagWatchdog ?? {};
    if (!isObject(w)) return fail('lagWatchdog', 'must be an object or false');
    onlyKeys(w, LAG_KEYS, 'lagWatchdog.');
    const recoverAfter: unknown = w.recoverAfter ?? ANNOUNCE_DEFAULTS.lagRecoverAfter;
    if (typeof recoverAfter !== 'number' || !Number.isInteger(recoverAfter) || recoverAfter < 1 || recoverAfter > 1000) {
      return fail('lagWatchdog.recoverAfter', `must be an integer from 1 to 1000, got ${v.describe(recoverAfter)}`);
    }
    if (w.source !== undefined && (!isObject(w.source) || typeof w.source.sample !== 'function')) {
      fail('lagWatchdog.source', 'must be an object with a sample() method');
    }
    const defaultThreshold = ttlMs > 0 ? Math.min(ANNOUNCE_DEFAULTS.lagThresholdMs, ttlMs / 4) : ANNOUNCE_DEFAULTS.lagThresholdMs;
    lag = {
      thresholdMs: ms(w.thresholdMs, 'lagWatchdog.thresholdMs', defaultThreshold, 1),
      intervalMs: ms(w.intervalMs, 'lagWatchdog.intervalMs', ANNOUNCE_DEFAULTS.lagIntervalMs, 10),
      recoverAfter,
      ...(w.source === undefined ? {} : { source: w.source as LagSource }),
    };
  }
  const clock = v.withDefault(v.clock, systemClock)(o.clock, 'clock');

  return {
    registry: o.registry,
    // The agent runs the check itself: registering it would be refused by the backend.
    registration: selfCheck === undefined ? registration : { ...registration, checks: [] },
    selfCheck,
    server: o.server,
    propagationMs: ms(drain.propagationMs, 'drain.propagationMs', ANNOUNCE_DEFAULTS.propagationMs, 0),
    drainTimeoutMs: ms(drain.timeoutMs, 'drain.timeoutMs', ANNOUNCE_DEFAULTS.drainTimeoutMs, 0),
    signals: [...new Set(signals as NodeJS.Signals[])],
    exitOnSignal: o.exitOnSignal ?? true,
    exitGraceMs: ms(o.exitGraceMs, 'exitGraceMs', ANNOUNCE_DEFAULTS.exitGraceMs, 0),
    lag,
    clock,
    startupTimeoutMs: goMs(o.startupTimeout, 'startupTimeout', ANNOUNCE_DEFAULTS.startupTimeoutMs),
    heartbeatMs,
  };
}
