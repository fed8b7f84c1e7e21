/**
 * Where a Consul-API registry is and how to talk to it: the URL schemes roster accepts, and the
 * ConsulHttp built from a URL plus token and datacenter (from the options, the URL's `?token=` /
 * `?dc=`, or CONSUL_HTTP_TOKEN) — shared by `consulRegistry` and `updateTtlCheck`.
 */
import { InvalidArgumentError } from '../../errors.js';
import { ConsulHttp, type ConsulHttpOptions } from './consul-http.js';

/** `consul://host:port` → `http://host:port`; `consul+https://` → `https://`; http(s) URLs as they are. */
export function consulBaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidArgumentError('url', `${JSON.stringify(url)} is not a URL`);
  }
  const scheme = { 'consul:': 'http:', 'consul+http:': 'http:', 'consul+https:': 'https:', 'http:': 'http:', 'https:': 'https:' }[
    parsed.protocol
  ];
  if (!scheme)
    throw new InvalidArgumentError('url', `scheme must be consul://, consul+https://, http:// or https://, got ${parsed.protocol}//`);
  return `${scheme}//${parsed.host || '127.0.0.1:8500'}`;
}

/** How to reach a Consul-API registry. */
export interface ConsulAddressOptions extends Partial<Pick<ConsulHttpOptions, 'token' | 'datacenter' | 'timeoutMs' | 'dispatcher'>> {
  /** Consul (or roster serve) address: `http://host:8500`, or `consul://host:8500`. Default `http://127.0.0.1:8500`. */
  readonly url?: string;
}

/** The ConsulHttp for `options` (see the file comment). @throws InvalidArgumentError for a bad `url`. */
export function consulHttpFor(options: ConsulAddressOptions): ConsulHttp {
  const baseUrl = consulBaseUrl(options.url ?? 'http://127.0.0.1:8500');
  const params = options.url ? new URL(options.url).searchParams : new URLSearchParams();
  return new ConsulHttp({
    baseUrl,
    token: options.token ?? params.get('token') ?? process.env.CONSUL_HTTP_TOKEN,
    datacenter: options.datacenter ?? params.get('dc') ?? undefined,
    timeoutMs: options.timeoutMs,
    dispatcher: options.dispatcher,
  });
}
