/**
 * parseServiceUrl(): `http://orders/v1/items?x=1` → service `orders`, path `/v1/items?x=1`.
 * Plain URLs take a fast path without `new URL()`; anything unusual goes through it.
 */
import { InvalidArgumentError } from '../errors.js';

/** A discovery URL taken apart. */
export interface ServiceUrl {
  /** `http` or `https`: how to talk to the instances. */
  readonly scheme: 'http' | 'https';
  /** The host of the URL: the service name (lower case, as URL hosts are). */
  readonly service: string;
  /** Path and query (no fragment), starting with `/`. */
  readonly path: string;
}

// A lower-case host without port or user info, then a path and query of characters that need no
// escaping and contain no dot segment: exactly what `new URL()` would give back unchanged.
const PLAIN =
  /^(https?):\/\/([a-z0-9](?:[a-z0-9._-]*[a-z0-9])?)((?:[/?](?!(?:[.]|%2[eE]){1,2}(?:[/?]|$))[A-Za-z0-9\-._~!$&()*+,;=:@%]*)*)$/;

/**
 * Parses a discovery URL: the host is the service name, there is no port and no user info.
 * @throws InvalidArgumentError (`url`) for anything else.
 */
export function parseServiceUrl(input: string | URL): ServiceUrl {
  if (typeof input !== 'string' && !(input instanceof URL)) {
    // Checked before String(input): an object's own toString may throw or not be a function.
    throw new InvalidArgumentError('url', `must be a string or a URL, got ${input === null ? 'null' : typeof input}`);
  }
  if (typeof input === 'string') {
    const m = PLAIN.exec(input);
    if (m) {
      const rest = m[3]!;
      return { scheme: m[1] as 'http' | 'https', service: m[2]!, path: rest.charCodeAt(0) === 47 ? rest : `/${rest}` };
    }
  }
  let url: URL;
  try {
    url = input instanceof URL ? input : new URL(String(input));
  } catch {
    throw new InvalidArgumentError('url', `${JSON.stringify(String(input))} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InvalidArgumentError('url', `must be http or https, got ${url.protocol}`);
  if (url.port !== '') throw new InvalidArgumentError('url', `the host is a service name, without a port: ${url.host}`);
  if (url.username !== '' || url.password !== '') throw new InvalidArgumentError('url', 'must not contain user info');
  return { scheme: url.protocol === 'https:' ? 'https' : 'http', service: url.hostname, path: `${url.pathname}${url.search}` };
}
