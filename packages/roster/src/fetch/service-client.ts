/**
 * serviceClient(): a client of one service. `client.request('/v1/items')` goes to a healthy
 * instance, like `createFetch` with the service fixed, and without parsing a URL per call.
 */
import { ChannelPool } from './channel-pool.js';
import { type DiscoveryRequestInit, fromFetchArguments, toWebResponse } from './fetch-adapter.js';
import { type FetchClientOptions, fetchSettings } from './fetch-options.js';
import type { FetchStats } from './fetch-stats.js';
import { type RequestOptions, transportRequest } from './request-options.js';
import { ClosedError } from '../errors.js';
import * as v from '../internal/options.js';
import { validateServiceName } from '../validate.js';
import type { TransportResponse } from './transport.js';

/** Options of {@link serviceClient}. */
export interface ServiceClientOptions extends FetchClientOptions {
  /** The service to call. */
  readonly service: string;
  /** How to talk to its instances. Default `http`. */
  readonly scheme?: 'http' | 'https';
}

const SERVICE_CLIENT_OPTIONS = { service: validateServiceName, scheme: v.optional(v.oneOf(['http', 'https'])) };

/** A client of one service (see {@link serviceClient}). */
export interface ServiceClient extends AsyncDisposable {
  readonly service: string;
  /** The fast path: undici's response; `path` starts with `/` and may carry a query. */
  request(path: string, options?: RequestOptions): Promise<TransportResponse>;
  /** WHATWG fetch of a path: a standard `Response`. */
  fetch(path: string, init?: DiscoveryRequestInit): Promise<Response>;
  /** Counters since creation. */
  stats(): FetchStats;
  /** Releases the resolver, the balancer and the connections (after the calls in flight). Idempotent. */
  close(): Promise<void>;
}

/**
 * Creates a client of one service: a Balancer fed by the process-wide Resolver of `service`,
 * timeouts, retries onto other instances, one keep-alive undici dispatcher. Watching starts at
 * once; the first calls wait (up to `readyTimeout`) for the first snapshot.
 * @throws InvalidArgumentError naming the bad option.
 */
export function serviceClient(options: ServiceClientOptions): ServiceClient {
  const settings = fetchSettings(options, SERVICE_CLIENT_OPTIONS);
  const scheme = options.scheme ?? 'http';
  const pool = new ChannelPool(settings);
  const channel = pool.channel(options.service);
  const service = channel.service;
  const origin = `${scheme}://${service}`;

  const request = (path: string, requestOptions?: RequestOptions): Promise<TransportResponse> => {
    try {
      if (pool.closed) throw new ClosedError('fetch client');
      return channel.call(transportRequest(service, origin, path, requestOptions));
    } catch (error) {
      return Promise.reject(error);
    }
  };

  return {
    service,
    request,
    async fetch(path: string, init?: DiscoveryRequestInit): Promise<Response> {
      const { options: requestOptions } = await fromFetchArguments(`${origin}${path}`, init);
      return toWebResponse(await request(path, requestOptions), requestOptions.method ?? 'GET');
    },
    stats: () => pool.stats(),
    close: () => pool.close(),
    [Symbol.asyncDispose]: () => pool.close(),
  };
}
