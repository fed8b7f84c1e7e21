/**
 * ServiceChannel: everything a client keeps for one service: the shared Resolver, a Balancer
 * it feeds, the middleware chain, the counters, and the wait for the first snapshot.
 * Internal to fetch/ (used by createFetch and serviceClient).
 *
 *     resolver.subscribe ─► balancer.update(instances)
 *     call ─► middleware… ─► timeout(overall) ─► retry ─► timeout(attempt) ─► balance ─► transport
 *     balancer.onEvent ─► ejection channel, counters
 */
import type { Balancer, BalancerEvent } from '../balancer/balancer.js';
import { createBalancer } from '../balancer/create-balancer.js';
import { ejectionChannel } from '../diagnostics.js';
import { AbortedError, ClosedError, ErrorCode, isRosterError, NoInstancesError } from '../errors.js';
import type { Snapshot } from '../model.js';
import { acquireResolver, type ResolverHandle } from '../resolver/shared-resolvers.js';
import { validateServiceName } from '../validate.js';
import { balance } from './balance.js';
import { compose } from './compose.js';
import type { FetchSettings } from './fetch-options.js';
import { ServiceCounters } from './fetch-stats.js';
import { type RetryEvent, retry } from './retry.js';
import { timeout } from './timeout.js';
import type { Middleware, Transport, TransportRequest, TransportResponse } from './transport.js';

/** One service's resolver, balancer, chain and counters. */
export class ServiceChannel {
  readonly service: string;
  readonly counters = new ServiceCounters();
  readonly #settings: FetchSettings;
  readonly #handle: ResolverHandle;
  readonly #balancer: Balancer;
  readonly #transport: Transport;
  readonly #life = new AbortController();
  readonly #unsubscribe: () => void;
  readonly #unlisten: () => void;
  #snapshot: Snapshot | undefined;
  #firstSnapshot: Promise<void> | undefined;

  /** @throws InvalidArgumentError for an invalid service name. */
  constructor(service: string, settings: FetchSettings, terminal: Transport) {
    this.service = validateServiceName(service);
    this.#settings = settings;
    this.#balancer = createBalancer(settings.balancer);
    this.#unlisten = this.#balancer.onEvent((event) => this.#onBalancerEvent(event));
    this.#handle = acquireResolver(settings.registry, this.service, {
      clock: settings.clock,
      random: settings.random,
      ...(settings.rideThrough === undefined ? {} : { rideThrough: settings.rideThrough }),
    });
    const resolver = this.#handle.resolver;
    this.#unsubscribe = resolver.subscribe((update) => this.#apply(update.snapshot));
    const current = resolver.current();
    if (current) this.#apply(current);
    this.#transport = compose(...settings.middleware, ...this.#policies())(terminal);
  }

  /** Sends one call: waits for the first snapshot if none came yet (bounded), then the chain. */
  call(req: TransportRequest): Promise<TransportResponse> {
    this.counters.requests++;
    let sent: Promise<TransportResponse>;
    try {
      sent = this.#snapshot !== undefined ? this.#transport(req) : this.#callWhenReady(req);
    } catch (error) {
      // A user middleware that throws instead of rejecting.
      sent = Promise.reject(error);
    }
    return sent.catch(this.#failed);
  }

  /** Releases the resolver, stops the balancer. Calls in flight finish. */
  close(): void {
    if (this.#life.signal.aborted) return;
    this.#life.abort();
    this.#unsubscribe();
    this.#unlisten();
    this.#balancer.close();
    this.#handle.release();
  }

  #policies(): Middleware[] {
    const s = this.#settings;
    const counters = this.counters;
    const chain: Middleware[] = [];
    if (s.overallMs !== undefined) chain.push(timeout(s.overallMs, { clock: s.clock }));
    if (s.retry !== false) chain.push(retry({ ...s.retry, onEvent: (e: RetryEvent) => this.#onRetry(e) }));
    if (s.attemptMs !== undefined) chain.push(timeout(s.attemptMs, { clock: s.clock }));
    chain.push(balance(this.#balancer, { clock: s.clock, onOutcome: (instance, outcome) => counters.outcome(instance, outcome) }));
    return chain;
  }

  #apply(snapshot: Snapshot): void {
    if (this.#life.signal.aborted || snapshot === this.#snapshot) return;
    this.#snapshot = snapshot;
    this.#balancer.update(snapshot.instances);
    this.counters.retain(snapshot.instances);
  }

  async #callWhenReady(req: TransportRequest): Promise<TransportResponse> {
    await this.#ready(req.signal);
    return this.#transport(req);
  }

  /** Resolves once a snapshot was applied; rejects after `readyTimeout`, on abort, or on close. */
  #ready(signal: AbortSignal | undefined): Promise<void> {
    if (this.#life.signal.aborted) return Promise.reject(new ClosedError('fetch client'));
    const resolver = this.#handle.resolver;
    this.#firstSnapshot ??= resolver.ready(this.#life.signal).then((snapshot) => this.#apply(snapshot));
    const clock = this.#settings.clock;
    const waitMs = this.#settings.readyTimeoutMs;
    return new Promise<void>((resolve, reject) => {
      const done = (error?: unknown) => {
        clock.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (error === undefined) resolve();
        else reject(error);
      };
      const onAbort = () => done(new AbortedError(signal?.reason));
      const timer = clock.setTimeout(() => {
        const detail = `no snapshot from the registry within ${waitMs} ms`;
        done(new NoInstancesError(this.service, detail, { cause: resolver.state().lastError }));
      }, waitMs);
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#firstSnapshot!.then(
        () => done(),
        // The registry (or this client) was closed: no snapshot will come, say so at once.
        (error: unknown) => done(this.#life.signal.aborted ? new ClosedError('fetch client') : error),
      );
    });
  }

  readonly #failed = (error: unknown): never => {
    this.counters.failures++;
    if (isRosterError(error) && error.code === ErrorCode.NoInstances) this.counters.noInstances++;
    throw error;
  };

  #onRetry(event: RetryEvent): void {
    if (event.type === 'retry') this.counters.retries++;
    else this.counters.retryBudgetExhausted++;
  }

  #onBalancerEvent(event: BalancerEvent): void {
    if (event.type === 'ejected') this.counters.ejections++;
    if (event.type === 'ejection-skipped' || !ejectionChannel.hasSubscribers) return;
    ejectionChannel.publish({
      service: this.service,
      instanceId: event.instance.id,
      ejected: event.type === 'ejected',
      untilMs: event.type === 'ejected' ? event.until : undefined,
    });
  }
}
