/**
 * The options of `createFetch` and `serviceClient`, validated once at construction (naming the
 * bad option) and turned into the settings every service channel is built from.
 */
import { Agent, type Dispatcher } from 'undici';
import { createBalancer, type BalancerOptions } from '../balancer/create-balancer.js';
import type { Strategy } from '../balancer/balancer.js';
import { durationOption, optionsBag, randomOption } from '../balancer/options.js';
import { peakEwma } from '../balancer/peak-ewma.js';
import { type Clock, MAX_TIMER_MS } from '../clock.js';
import { InvalidArgumentError } from '../errors.js';
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

/**
 * Validates the options and applies defaults.
 * @throws InvalidArgumentError naming the bad option.
 */
export function fetchSettings(options: FetchClientOptions): FetchSettings {
  const o = optionsBag('options', options);
  const registry = o.registry;
  if (typeof registry !== 'object' || registry === null || typeof registry.watch !== 'function') {
    throw new InvalidArgumentError('registry', 'must be a Registry (consulRegistry(), memoryRegistry(), connect())');
  }
  const clock = o.clock ?? preciseClock;
  if (typeof clock.now !== 'function' || typeof clock.setTimeout !== 'function') throw new InvalidArgumentError('clock', 'must be a Clock');
  const random = randomOption('random', o.random);
  const balancer: BalancerOptions = { ...optionsBag('balancer', o.balancer), strategy: o.strategy ?? peakEwma(), clock };
  // Balancers are made per service on first use; build one now so bad options fail here.
  createBalancer(balancer).close();
  let retryOptions: FetchSettings['retry'] = false;
  if (o.retry !== false) {
    retryOptions = { ...optionsBag('retry', o.retry), clock, random };
    retry(retryOptions);
  }
  const timeouts = o.timeout === undefined ? {} : optionsBag('timeout', o.timeout);
  const limit = (field: string, value: number | string | false | undefined, fallbackMs: number) =>
    value === false ? undefined : durationOption(field, value, fallbackMs, 1, MAX_TIMER_MS);
  const middleware = o.middleware ?? [];
  if (!Array.isArray(middleware) || !middleware.every((m) => typeof m === 'function')) {
    throw new InvalidArgumentError('middleware', 'must be an array of middlewares ((next) => transport)');
  }
  const dispatcher = o.dispatcher;
  if (dispatcher !== undefined && (typeof dispatcher !== 'object' || typeof dispatcher.request !== 'function')) {
    throw new InvalidArgumentError('dispatcher', 'must be an undici Dispatcher (Agent, Pool, ...)');
  }
  rideThroughOption(o.rideThrough, 'rideThrough');
  return {
    registry,
    balancer,
    retry: retryOptions,
    attemptMs: limit('timeout.attempt', timeouts.attempt, 10_000),
    overallMs: limit('timeout.overall', timeouts.overall, 30_000),
    readyTimeoutMs: durationOption('readyTimeout', o.readyTimeout, 5000, 0, MAX_TIMER_MS),
    middleware,
    clock,
    random,
    rideThrough: o.rideThrough,
    dispatcher: dispatcher ?? new Agent(),
    ownsDispatcher: dispatcher === undefined,
  };
}
