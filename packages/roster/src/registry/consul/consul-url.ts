/**
 * Where a Consul-API registry is and how to talk to it: the URL schemes roster accepts, and the
 * ConsulHttp built from a URL plus token, TLS and datacenter — shared by `consulRegistry`,
 * `updateTtlCheck` and the CLI.
 *
 * The token, first found wins: the `token` option, the `tokenFile` option, the URL's `?token=`,
 * `ROSTER_TOKEN`, `CONSUL_HTTP_TOKEN`, the file named by `CONSUL_HTTP_TOKEN_FILE` (decision
 * D110). It is sent only as the `X-Consul-Token` header, never in a URL, and no error message
 * quotes it. TLS (https:// and consul+https:// only): the `tls` option, else Consul's variables
 * `CONSUL_CACERT`, `CONSUL_CLIENT_CERT`, `CONSUL_CLIENT_KEY` (file paths) and
 * `CONSUL_TLS_SERVER_NAME` (the name the registry's certificate is verified against).
 */
import { readFileSync } from 'node:fs';
import type { Dispatcher } from 'undici';
import { InvalidArgumentError } from '../../errors.js';
import * as v from '../../internal/options.js';
import { redactSecrets } from '../../internal/redact.js';
import { CONSUL_TLS_ENV, type RegistryTlsOptions, serverNameCheck, TLS_FIELDS, tlsMaterial } from '../tls-material.js';
import { ConsulHttp, type ConsulHttpOptions } from './consul-http.js';

/** URL query parameters the Consul backend reads (`?token=…&dc=…`). */
const URL_PARAMS = ['token', 'dc'];

const CONSUL_URL = v.url(['consul:', 'consul+http:', 'consul+https:', 'http:', 'https:']);

/**
 * `consul://host:port` → `http://host:port`; `consul+https://` → `https://`; http(s) URLs as they are.
 * @throws InvalidArgumentError for another scheme, credentials (`user:pw@`; Consul takes a
 *   token), a path (Consul's API has no prefix) or an unknown query parameter. The message
 *   never quotes a token or password of the URL.
 */
export function consulBaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = CONSUL_URL(url, 'url');
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw new InvalidArgumentError('url', redactSecrets(error.message.slice('url: '.length)));
    throw error;
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new InvalidArgumentError(
      'url',
      'must not carry credentials (user:password@): Consul takes an ACL token, give it with the `token` or `tokenFile` option or ROSTER_TOKEN',
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

/**
 * An ACL token: 1–512 visible ASCII characters, since it travels in the `X-Consul-Token` header.
 * The error never quotes the value (it is a secret).
 */
export const consulToken: v.Check<string> = (value, path) => {
  if (typeof value !== 'string') return v.fail(path, `must be a string, got ${typeof value}`);
  if (value.length === 0) return v.fail(path, 'must not be empty');
  if (value.length > 512) return v.fail(path, `must be at most 512 characters long, got ${value.length}`);
  if (!/^[\x21-\x7e]+$/.test(value)) return v.fail(path, 'must be visible ASCII characters only (it is sent as an HTTP header)');
  return value;
};

const datacenter = v.string(1, 64, /^[A-Za-z0-9._-]+$/, 'a datacenter name (letters, digits, ".", "_", "-")');
const filePath = v.string(1, 4096, /^[^\0]*$/, 'a file path');

/** The checks of {@link ConsulAddressOptions}, shared by every options object that extends it. */
export const CONSUL_ADDRESS_OPTIONS = {
  url: v.withDefault(v.string(1, 2048), 'http://127.0.0.1:8500'),
  token: v.optional(consulToken),
  tokenFile: v.optional(filePath),
  tls: v.optional(v.object({ ...TLS_FIELDS, serverName: v.optional(serverNameCheck) })),
  datacenter: v.optional(datacenter),
  timeoutMs: v.withDefault(v.duration(1), 10_000),
  dispatcher: v.optional(v.withMethods<Dispatcher>(['request', 'dispatch', 'close', 'destroy'], 'an undici Dispatcher (Agent, Pool, ...)')),
};

/** How to reach a Consul-API registry. */
export interface ConsulAddressOptions extends Partial<Pick<ConsulHttpOptions, 'token' | 'datacenter' | 'timeoutMs' | 'dispatcher'>> {
  /** Consul (or roster serve) address: `http://host:8500`, `consul://host:8500`, `https://…`, `consul+https://…`. Default `http://127.0.0.1:8500`. */
  readonly url?: string;
  /** A file holding the ACL token (surrounding white space ignored), read once at construction. Not with `token`. */
  readonly tokenFile?: string;
  /** TLS for an https registry: CA, client certificate and key (PEM or files), server name. Default: Consul's CONSUL_CACERT / CONSUL_CLIENT_CERT / CONSUL_CLIENT_KEY / CONSUL_TLS_SERVER_NAME, else the system roots, no client certificate and the URL's host. */
  readonly tls?: ConsulTlsOptions;
}

/** TLS settings of a Consul-API registry. */
export interface ConsulTlsOptions extends RegistryTlsOptions {
  /**
   * The name the registry's certificate is verified against, and sent as SNI, instead of the
   * URL's host (Consul's `tls_server_name`; default: CONSUL_TLS_SERVER_NAME, else the URL's
   * host). For a registry reached by an address its certificate does not name (an IP, a load
   * balancer): the certificate is still verified, against this name.
   */
  readonly serverName?: string;
}

/** Reads a token file. @throws InvalidArgumentError naming `source` and the path. */
function readTokenFile(file: string, source: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new InvalidArgumentError(source, `cannot read the token file ${JSON.stringify(file)} (${code})`, { cause: error });
  }
  const token = text.trim();
  if (token === '') throw new InvalidArgumentError(source, `the token file ${JSON.stringify(file)} is empty`);
  return consulToken(token, `${source} (${file})`);
}

/**
 * The token `options` and the environment give (see the file comment), undefined for none.
 * @throws InvalidArgumentError naming the source of a bad or unreadable token.
 */
export function resolveConsulToken(
  options: Pick<ConsulAddressOptions, 'token' | 'tokenFile' | 'url'>,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options', 'must be an object');
  if (options.token !== undefined && options.tokenFile !== undefined) {
    throw new InvalidArgumentError('tokenFile', 'give the token option or tokenFile, not both');
  }
  if (options.token !== undefined) return options.token;
  if (options.tokenFile !== undefined) return readTokenFile(options.tokenFile, 'tokenFile');
  const urlToken = options.url === undefined ? null : new URL(options.url).searchParams.get('token');
  if (urlToken !== null) return consulToken(urlToken, 'url?token');
  for (const name of ['ROSTER_TOKEN', 'CONSUL_HTTP_TOKEN']) {
    const value = env[name];
    if (value !== undefined && value !== '') return consulToken(value, name);
  }
  const file = env.CONSUL_HTTP_TOKEN_FILE;
  return file === undefined || file === '' ? undefined : readTokenFile(file, 'CONSUL_HTTP_TOKEN_FILE');
}

/**
 * The ConsulHttp for `options` (see the file comment); a token or datacenter from the URL or
 * the environment is checked like the option; keys other than the address options are ignored
 * (callers pass their whole options). @throws InvalidArgumentError naming the bad one (`options`
 * when it is not an object).
 */
export function consulHttpFor(input: ConsulAddressOptions): ConsulHttp {
  // Callers pass their whole (already validated) options: only the address options are read here.
  v.object({}, { open: true })(input, '');
  const address = Object.fromEntries(Object.keys(CONSUL_ADDRESS_OPTIONS).map((key) => [key, (input as Record<string, unknown>)[key]]));
  const options: ConsulAddressOptions = v.options(address, CONSUL_ADDRESS_OPTIONS);
  const url = options.url ?? 'http://127.0.0.1:8500';
  const baseUrl = consulBaseUrl(url);
  const params = new URL(url).searchParams;
  const token = resolveConsulToken({ ...options, url });
  const dc = params.get('dc');
  const secure = baseUrl.startsWith('https:');
  if (options.tls !== undefined && !secure) {
    throw new InvalidArgumentError('tls', `needs an https registry URL (https:// or consul+https://), got ${baseUrl.split('//')[0]}//`);
  }
  // Consul's variables apply to https URLs only, as the consul CLI applies them.
  const material = secure ? tlsMaterial(options.tls, 'tls', CONSUL_TLS_ENV) : undefined;
  const serverName = secure ? serverNameOf(options.tls?.serverName) : undefined;
  const tls =
    material === undefined && serverName === undefined ? undefined : { ...material, ...(serverName === undefined ? {} : { serverName }) };
  if (tls !== undefined && options.dispatcher !== undefined) {
    throw new InvalidArgumentError(
      'dispatcher',
      'give TLS settings either to your own dispatcher (undici Agent connect options) or through tls / CONSUL_CACERT…, not both',
    );
  }
  return new ConsulHttp({
    baseUrl,
    token,
    datacenter: options.datacenter ?? (dc === null ? undefined : datacenter(dc, 'url?dc')),
    timeoutMs: options.timeoutMs,
    dispatcher: options.dispatcher,
    tls,
  });
}

/** The `tls.serverName` option, else CONSUL_TLS_SERVER_NAME (checked like the option), else undefined. */
function serverNameOf(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (option !== undefined) return option;
  const value = env.CONSUL_TLS_SERVER_NAME;
  return value === undefined || value === '' ? undefined : serverNameCheck(value, 'CONSUL_TLS_SERVER_NAME');
}
