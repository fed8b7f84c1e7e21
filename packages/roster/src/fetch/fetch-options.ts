/**
 * The options of `createFetch` and `serviceClient`, validated once at construction (naming the
 * bad option) and turned into the settings every service channel is built from.
 */
import { Agent, type Dispatcher } from 'undici';
import { createBalancer, type BalancerOptions } from '../balancer/create-balancer.js';
import type { Strategy } from '../balancer/balancer.js';
import { randomOption } from '../balancer/options.js';
import { peakEwma } from '../balancer/peak-ewma.js';
import type { Clock } from '../clock.js';
import * as v from '../internal/options.js';
import type { Registry } from '../registry/registry.js';
import { type RideThroughOption, rideThroughOption } from '../resolver/ride-through.js';
import { preciseClock } from './precise-clock.js';
import { retry, type RetryOptions } from './retry.js';
import type { Middleware } from './transport.js';

/** Options shared by {@link createFetch} and {@link serviceClient}. Durations: milliseconds or Go strings. */
export interface FetchClientOptions {
  /** Where instances are found (`consulRegistry(...)`, `memoryRegistry()`, `connect(url)`). */
  readonly registry: Registry;
  /** How to choose among healthy instances. Default `peakEwma()` (P2C with peak-EWMA latency). */
  readonly strategy?: Strategy;
  /** Balancer policies: outlier ejection, slow start, passing quorum (see `createBalancer`). */
  readonly balancer?: Omit<BalancerOptions, 'strategy' | 'clock'>;
  /**
   * Retry policy (see `retry()`), or `false` for none. Default: 3 attempts, 20 % + 10/s budget.
   * Budget options give each service its own budget; a `retryBudget()` object is shared by all.
   */
  readonly retry?: Omit<RetryOptions, 'clock' | 'random' | 'onEvent'> | false;
  /**
   * Time limits to the response headers: `attempt` per attempt, `overall` per call, retries
   * included (`false` for none). Default 10 s per attempt, 30 s per call.
   */
  readonly timeout?: { readonly attempt?: number | string | false; readonly overall?: number | string | false };
  /** undici dispatcher for the calls. Default: one keep-alive `Agent` for the client, closed with it. */
  readonly dispatcher?: Dispatcher;
  /** How long calls wait for the registry's first snapshot of a service (only until it came). Default 5 s. */
  readonly readyTimeout?: number | string;
  /** Middlewares wrapped around each call, outermost first (headers, tracing, logging). */
  readonly middleware?: readonly Middleware[];
  /** Time source of deadlines, latencies, backoff and budgets. Default: the system clock, sub-millisecond. */
  readonly clock?: Clock;
  /** Uniform numbers in [0, 1) for retry jitter and watch backoff. Default: a fast seeded generator. */
  readonly random?: () => number;
  /**
   * Ride-through of registry faults by each service's Resolver (see `ResolverOptions.rideThrough`):
   * default `{ graceMs: 5000, maxDrop: 0.5 }`; `false` turns it off. Applies to the Resolvers this
   * client creates (a Resolver already shared in the process keeps its own).
   */
  readonly rideThrough?: RideThroughOption;
}

/** Validated settings. Internal to fetch/. */
export interface FetchSettings {
  readonly registry: Registry;
  readonly balancer: BalancerOptions;
  readonly retry: Omit<RetryOptions, 'onEvent'> | false;
  readonly attemptMs: number | undefined;
  readonly overallMs: number | undefined;
  readonly readyTimeoutMs: number;
  readonly middleware: readonly Middleware[];
  readonly clock: Clock;
  readonly random: () => number;
  readonly rideThrough: RideThroughOption | undefined;
  readonly dispatcher: Dispatcher;
  /** True when the client created the dispatcher and closes it. */
  readonly ownsDispatcher: boolean;
}

const duration = (min: number) => v.either(v.literal(false), v.duration(min), `must be false or a duration ≥ ${min} ms`);

const FETCH_OPTIONS = {
  registry: v.withMethods<Registry>(
    ['register', 'watch', 'list', 'close'],
    'a Registry (connect(url), consulRegistry(), memoryRegistry())',
  ),
  strategy: v.withFactory(v.withMethods<Strategy>(['build'], 'a strategy, e.g. peakEwma() or roundRobin()'), () => peakEwma()),
  // Values are checked by createBalancer and retry below; here only which keys exist.
  balancer: v.withDefault(v.object({ outlierEjection: v.any, slowStart: v.any, passingQuorum: v.any }), {}),
  retry: v.withDefault(
    v.either(
      v.literal(false),
      v.object({ maxAttempts: v.any, methods: v.any, statuses: v.any, retryOn: v.any, backoff: v.any, budget: v.any }),
    ),
    {},
  ),
  timeout: v.withDefault(v.object({ attempt: v.withDefault(duration(1), 10_000), overall: v.withDefault(duration(1), 30_000) }), {
    attempt: 10_000,
    overall: 30_000,
  }),
  dispatcher: v.optional(v.withMethods<Dispatcher>(['request', 'dispatch', 'close', 'destroy'], 'an undici Dispatcher (Agent, Pool, ...)')),
  readyTimeout: v.withDefault(v.duration(0), 5000),
  middleware: v.withDefault(v.arrayOf(v.fn<Middleware>('a middleware (next) => transport'), 1000), []),
  clock: v.withDefault(v.clock, preciseClock),
  random: v.optional(v.random),
  // Checked by rideThroughOption.
  rideThrough: v.any,
};

/**
 * Validates the options and applies defaults.
 * @throws InvalidArgumentError naming the bad option.
 */
export function fetchSettings(options: FetchClientOptions, extra: v.Shape = {}): FetchSettings {
  const o = v.options(options, { ...FETCH_OPTIONS, ...extra });
  const { registry, clock } = o;
  const random = randomOption('random', o.random);
  const balancer: BalancerOptions = { ...(o.balancer as Omit<BalancerOptions, 'strategy' | 'clock'>), strategy: o.strategy, clock };
  // Balancers are made per service on first use; build one now so bad options fail here.
  createBalancer(balancer).close();
  let retryOptions: FetchSettings['retry'] = false;
  if (o.retry !== false) {
    retryOptions = { ...(o.retry as RetryOptions), clock, random };
    retry(retryOptions);
  }
  const dispatcher = o.dispatcher;
  rideThroughOption(o.rideThrough, 'rideThrough');
  return {
    registry,
    balancer,
    retry: retryOptions,
    attemptMs: o.timeout.attempt === false ? undefined : o.timeout.attempt,
    overallMs: o.timeout.overall === false ? undefined : o.timeout.overall,
    readyTimeoutMs: o.readyTimeout,
    middleware: o.middleware,
    clock,
    random,
    rideThrough: o.rideThrough as RideThroughOption | undefined,
    dispatcher: dispatcher ?? new Agent(),
    ownsDispatcher: dispatcher === undefined,
  };
}
