/**
 * ChannelPool: the state behind one client: its settings, its undici transport (one keep-alive
 * dispatcher for every service) and a ServiceChannel per service, made on first use.
 * Internal to fetch/ (createFetch and serviceClient are thin faces over it).
 */
import { ClosedError } from '../errors.js';
import type { FetchSettings } from './fetch-options.js';
import { type FetchStats, fetchStats } from './fetch-stats.js';
import { ServiceChannel } from './service-channel.js';
import type { Transport } from './transport.js';
import { undiciTransport } from './undici-transport.js';

/** A client's services and connections. */
export class ChannelPool {
  readonly #settings: FetchSettings;
  readonly #terminal: Transport;
  readonly #channels = new Map<string, ServiceChannel>();
  #closed: Promise<void> | undefined;

  constructor(settings: FetchSettings) {
    this.#settings = settings;
    this.#terminal = undiciTransport({ dispatcher: settings.dispatcher, clock: settings.clock });
  }

  /**
   * The channel of `service`, made on first use.
   * @throws ClosedError after `close()`; InvalidArgumentError for an invalid service name.
   */
  channel(service: string): ServiceChannel {
    if (this.#closed) throw new ClosedError('fetch client');
    const found = this.#channels.get(service);
    if (found !== undefined) return found;
    const channel = new ServiceChannel(service, this.#settings, this.#terminal);
    this.#channels.set(service, channel);
    return channel;
  }

  /** True after `close()` was called. */
  get closed(): boolean {
    return this.#closed !== undefined;
  }

  /** Counters of every service used so far. */
  stats(): FetchStats {
    return fetchStats([...this.#channels].map(([name, channel]) => [name, channel.counters] as const));
  }

  /**
   * Releases resolvers and balancers at once; resolves when the connections are closed (after
   * the calls in flight ended). A dispatcher passed in by the user is left open. Idempotent.
   */
  close(): Promise<void> {
    this.#closed ??= this.#shutdown();
    return this.#closed;
  }

  async #shutdown(): Promise<void> {
    for (const channel of this.#channels.values()) channel.close();
    if (this.#settings.ownsDispatcher) await this.#settings.dispatcher.close();
  }
}
