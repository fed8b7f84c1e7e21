/**
 * createFetch(): a `fetch` for service names. `fetch('http://orders/v1/items')` goes to a healthy
 * `orders` instance chosen by a Balancer fed from a shared Resolver, through timeouts and retries
 * onto other instances, over undici with keep-alive.
 */
import { ChannelPool } from './channel-pool.js';
import { type DiscoveryRequestInit, fromFetchArguments, toWebResponse } from './fetch-adapter.js';
import { type FetchClientOptions, fetchSettings } from './fetch-options.js';
import type { FetchStats } from './fetch-stats.js';
import { type RequestOptions, transportRequest } from './request-options.js';
import { parseServiceUrl } from './service-url.js';
import type { TransportResponse } from './transport.js';

/** Options of {@link createFetch}. */
export interface CreateFetchOptions extends FetchClientOptions {}

/**
 * A discovery-aware fetch: call it like `fetch`, with a service name as the URL's host.
 * Rejects with roster errors (`NoInstancesError`, `TimeoutError`, `RetriesExhaustedError`,
 * `AbortedError`, `ClosedError`) or the last transport error, not with `TypeError`.
 */
export interface DiscoveryFetch extends AsyncDisposable {
  /** WHATWG fetch: a standard `Response`. Redirects are returned, not followed. */
  (input: string | URL | Request, init?: DiscoveryRequestInit): Promise<Response>;
  /** The fast path: undici's response (status, headers, body with `.json()`/`.text()`/`.dump()`). */
  request(url: string | URL, options?: RequestOptions): Promise<TransportResponse>;
  /** Counters since creation, per service and in total. */
  stats(): FetchStats;
  /** Releases resolvers, balancers and connections (after the calls in flight). Idempotent. */
  close(): Promise<void>;
}

/**
 * Creates a discovery-aware fetch. Each service gets, on first use, a Balancer fed by the
 * process-wide Resolver of that service; the first calls wait (up to `readyTimeout`) for its
 * first snapshot, later ones never wait on the registry. All services share one undici
 * dispatcher with keep-alive.
 * @throws InvalidArgumentError naming the bad option.
 */
export function createFetch(options: CreateFetchOptions): DiscoveryFetch {
  const pool = new ChannelPool(fetchSettings(options));

  const request = (url: string | URL, requestOptions?: RequestOptions): Promise<TransportResponse> => {
    try {
      const parsed = parseServiceUrl(url);
      const channel = pool.channel(parsed.service);
      const origin = parsed.scheme === 'http' ? `http://${parsed.service}` : `https://${parsed.service}`;
      return channel.call(transportRequest(channel.service, origin, parsed.path, requestOptions));
    } catch (error) {
      return Promise.reject(error);
    }
  };

  const fetch = async (input: string | URL | Request, init?: DiscoveryRequestInit): Promise<Response> => {
    const { url, options: requestOptions } = await fromFetchArguments(input, init);
    return toWebResponse(await request(url, requestOptions), requestOptions.method ?? 'GET');
  };

  return Object.assign(fetch, {
    request,
    stats: () => pool.stats(),
    close: () => pool.close(),
    [Symbol.asyncDispose]: () => pool.close(),
  });
}
