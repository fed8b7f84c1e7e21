/**
 * Where a Consul-API registry is and how to talk to it: the URL schemes roster accepts, and the
 * ConsulHttp built from a URL plus token and datacenter (from the options, the URL's `?token=` /
 * `?dc=`, or CONSUL_HTTP_TOKEN) — shared by `consulRegistry` and `updateTtlCheck`.
 */
import type { Dispatcher } from 'undici';
import { InvalidArgumentError } from '../../errors.js';
import * as v from '../../internal/options.js';
import { ConsulHttp, type ConsulHttpOptions } from './consul-http.js';

/** URL query parameters the Consul backend reads (`?token=…&dc=…`). */
const URL_PARAMS = ['token', 'dc'];

const CONSUL_URL = v.url(['consul:', 'consul+http:', 'consul+https:', 'http:', 'https:']);

/**
 * `consul://host:port` → `http://host:port`; `consul+https://` → `https://`; http(s) URLs as they are.
 * @throws InvalidArgumentError for another scheme, credentials (`user:pw@`; Consul takes a
 *   token: `?token=`), a path (Consul's API has no prefix) or an unknown query parameter.
 */
export function consulBaseUrl(url: string): string {
  const parsed = CONSUL_URL(url, 'url');
  if (parsed.username !== '' || parsed.password !== '') {
    throw new InvalidArgumentError(
      'url',
      'must not carry credentials (user:password@): Consul takes an ACL token, give it as ?token=… or the `token` option',
    );
  }
  if (parsed.pathname !== '/' && parsed.pathname !== '') {
    throw new InvalidArgumentError('url', `must not have a path (${parsed.pathname}): the Consul API is served at the root of host:port`);
  }
  for (const key of parsed.searchParams.keys()) {
    if (!URL_PARAMS.includes(key)) throw new InvalidArgumentError(`url?${key}`, `unknown URL parameter (known: ${URL_PARAMS.join(', ')})`);
  }
  const scheme = { 'consul:': 'http:', 'consul+http:': 'http:', 'consul+https:': 'https:', 'http:': 'http:', 'https:': 'https:' }[
    parsed.protocol
  ];
  return `${scheme}//${parsed.host || '127.0.0.1:8500'}`;
}

/** An ACL token: visible ASCII only, since it travels in the `X-Consul-Token` header. */
export const consulToken = v.string(1, 512, /^[\x21-\x7e]+$/, 'visible ASCII characters (it is sent as an HTTP header)');

const datacenter = v.string(1, 64, /^[A-Za-z0-9._-]+$/, 'a datacenter name (letters, digits, ".", "_", "-")');

/** The checks of {@link ConsulAddressOptions}, shared by every options object that extends it. */
export const CONSUL_ADDRESS_OPTIONS = {
  url: v.withDefault(v.string(1, 2048), 'http://127.0.0.1:8500'),
  token: v.optional(consulToken),
  datacenter: v.optional(datacenter),
  timeoutMs: v.withDefault(v.duration(1), 10_000),
  dispatcher: v.optional(v.withMethods<Dispatcher>(['request', 'dispatch', 'close', 'destroy'], 'an undici Dispatcher (Agent, Pool, ...)')),
};

/** How to reach a Consul-API registry. */
export interface ConsulAddressOptions extends Partial<Pick<ConsulHttpOptions, 'token' | 'datacenter' | 'timeoutMs' | 'dispatcher'>> {
  /** Consul (or roster serve) address: `http://host:8500`, or `consul://host:8500`. Default `http://127.0.0.1:8500`. */
  readonly url?: string;
}

/**
 * The ConsulHttp for `options` (see the file comment); a token or datacenter from the URL or
 * CONSUL_HTTP_TOKEN is checked like the option. @throws InvalidArgumentError naming the bad one.
 */
export function consulHttpFor(options: ConsulAddressOptions): ConsulHttp {
  const url = options.url ?? 'http://127.0.0.1:8500';
  const baseUrl = consulBaseUrl(url);
  const params = new URL(url).searchParams;
  const urlToken = params.get('token');
  const envToken = process.env.CONSUL_HTTP_TOKEN;
  const token =
    options.token ??
    (urlToken === null ? undefined : consulToken(urlToken, 'url?token')) ??
    (envToken === undefined || envToken === '' ? undefined : consulToken(envToken, 'CONSUL_HTTP_TOKEN'));
  const dc = params.get('dc');
  return new ConsulHttp({
    baseUrl,
    token,
    datacenter: options.datacenter ?? (dc === null ? undefined : datacenter(dc, 'url?dc')),
    timeoutMs: options.timeoutMs,
    dispatcher: options.dispatcher,
  });
}
