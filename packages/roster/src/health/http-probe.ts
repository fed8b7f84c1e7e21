/**
 * The HTTP probe: one request per run, Consul's semantics (agent/checks/check.go, CheckHTTP).
 * Built on node:http/https with a fresh socket per request (no keep-alive), so nothing is pooled
 * and every socket is destroyed when the run ends, whatever way it ends.
 */
import http from 'node:http';
import { describe } from '../internal/options.js';
import https from 'node:https';
import { isIP } from 'node:net';
import tls from 'node:tls';
import { MAX_TIMER_MS } from '../clock.js';
import { InvalidArgumentError } from '../errors.js';
import type { HealthStatus } from '../model.js';
import { abortText, errorText, type Probe, type ProbeResult, probeTimeout } from './probe.js';
import { guardedLookup, type LookupFunction, refusedTarget, TargetRefusedError, type TargetPolicy } from './target-guard.js';

/** Consul's default cap on a check's output: 4 KB of the response body. */
export const HTTP_OUTPUT_MAX_BYTES = 4096;

/** Redirects followed before giving up (Go's http.Client default, which Consul uses). */
export const HTTP_MAX_REDIRECTS = 10;

/** What an HTTP probe requests. */
export interface HttpProbeSpec {
  /** Absolute `http:` or `https:` URL. */
  readonly url: string;
  /** Request method; default `GET`. */
  readonly method?: string;
  /** Extra request headers; they override the default `User-Agent` and `Accept`. */
  readonly headers?: Readonly<Record<string, readonly string[]>>;
  /** Time limit of the whole run (connect, redirects, headers and body), in ms. */
  readonly timeoutMs: number;
  /** Bytes of the body kept in the output (default {@link HTTP_OUTPUT_MAX_BYTES}); reading stops there. */
  readonly outputMaxBytes?: number;
  /** Redirects followed (default {@link HTTP_MAX_REDIRECTS}); 0 = a redirect is the answer. */
  readonly maxRedirects?: number;
  /**
   * Name resolution (default `dns.lookup`), wrapped by the check-target guard: every hop,
   * redirects included, is refused before connecting when it is or resolves to a link-local or
   * metadata address (target-guard.ts).
   */
  readonly lookup?: LookupFunction;
  /**
   * The check's own target rules on top of the always-on ones (roster serve: the instance's own
   * address plus the allow-list, target-policy.ts), applied to every hop, redirects included.
   */
  readonly targets?: TargetPolicy;
  /** Consul's `TLSSkipVerify`: an https target's certificate is not verified (default false). */
  readonly tlsSkipVerify?: boolean;
  /**
   * Consul's `TLSServerName`: the name sent as SNI and the one the certificate is verified
   * against, instead of the URL's host (an IP address is verified but not sent as SNI).
   */
  readonly tlsServerName?: string;
  /**
   * CA certificates (PEM) an https target's certificate must chain to, instead of the system
   * roots (Consul's `enable_agent_tls_for_checks`). Not with `secureContext`.
   */
  readonly ca?: string | Buffer;
  /**
   * The trust store of https targets, built once by the caller (`tls.createSecureContext({ ca })`,
   * so its certificates are not parsed again for every probe) and asked for at every run: a
   * store swapped in later (a reload) applies from the next run. Undefined from the function:
   * Node's default roots. Not with `ca`. roster serve: Node's roots plus its check CA (D177).
   */
  readonly secureContext?: () => tls.SecureContext | undefined;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Credentials are not sent to another host after a redirect (as Go's client does). */
const SENSITIVE = new Set(['authorization', 'proxy-authorization', 'cookie', 'cookie2', 'www-authenticate']);

/**
 * Creates a probe that sends one HTTP request per run.
 *
 * Result: status 2xx → `passing`, 429 → `warning`, any other status → `critical`, with output
 * `HTTP <method> <url>: <code> <reason> Output: <first outputMaxBytes of the body>`.
 * A transport error or timeout → `critical` with Go's error form: `Get "<url>": <error text>`.
 * Sends `User-Agent: Consul Health Check` and `Accept: text/plain, text/*, *\/*` unless the
 * headers give them; follows up to `maxRedirects` redirects (303, and 301/302 for methods
 * other than GET/HEAD, continue as GET; credentials are dropped when the host changes).
 *
 * The body is read only up to the cap, then the connection is closed: a huge or endless body
 * costs at most the cap plus one socket read. A body that fails or times out before the cap or
 * its end makes the run `critical`, even after a 2xx status line (Consul would keep the status
 * of the code; a response that cannot be read in time is not a healthy one).
 *
 * @throws InvalidArgumentError (at creation, naming the option) for a bad url, method, timeout,
 *   output cap or redirect limit.
 */
export function httpProbe(spec: HttpProbeSpec): Probe {
  if (typeof spec !== 'object' || spec === null) throw new InvalidArgumentError('spec', 'must be an object');
  const url = parseUrl(spec.url);
  const method = spec.method ?? 'GET';
  if (typeof method !== 'string' || !/^[A-Za-z!#$%&'*+.^_`|~0-9-]{1,32}$/.test(method))
    throw new InvalidArgumentError('method', `not an HTTP method: ${typeof method === 'string' ? JSON.stringify(method) : typeof method}`);
  const timeoutMs = spec.timeoutMs;
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0 && timeoutMs <= MAX_TIMER_MS)) {
    throw new InvalidArgumentError('timeoutMs', `must be > 0 and ≤ ${MAX_TIMER_MS} ms, got ${describe(timeoutMs)}`);
  }
  const cap = spec.outputMaxBytes ?? HTTP_OUTPUT_MAX_BYTES;
  if (!Number.isSafeInteger(cap) || cap < 0)
    throw new InvalidArgumentError('outputMaxBytes', `must be an integer ≥ 0, got ${describe(cap)}`);
  const maxRedirects = spec.maxRedirects ?? HTTP_MAX_REDIRECTS;
  if (!Number.isSafeInteger(maxRedirects) || maxRedirects < 0) {
    throw new InvalidArgumentError('maxRedirects', `must be an integer ≥ 0, got ${describe(maxRedirects)}`);
  }
  const headers = requestHeaders(spec.headers ?? {});
  const lookup = guardedLookup(spec.lookup, spec.targets);
  const tlsOptions = tlsOptionsOf(spec);
  const label = `HTTP ${method} ${spec.url}`;
  const op = method.charAt(0).toUpperCase() + method.slice(1).toLowerCase();

  return async (signal) => {
    const controller = new AbortController();
    const abort = () => controller.abort(signal.reason);
    if (signal.aborted) abort();
    else signal.addEventListener('abort', abort, { once: true });
    const timer = setTimeout(() => controller.abort(probeTimeout(timeoutMs)), timeoutMs);
    timer.unref();
    let current = url;
    const failed = (detail: string): ProbeResult => ({ status: 'critical', output: `${op} ${JSON.stringify(current.href)}: ${detail}` });
    try {
      let currentMethod = method;
      let currentHeaders = headers;
      for (let redirects = 0; ; redirects++) {
        if (controller.signal.aborted) return failed(abortText(controller.signal.reason));
        let res: http.IncomingMessage;
        try {
          const trust = spec.secureContext?.();
          const hopTls = trust === undefined ? tlsOptions : { ...tlsOptions, secureContext: trust };
          res = await send(current, currentMethod, currentHeaders, controller.signal, lookup, hopTls, spec.targets);
        } catch (error) {
          return failed(controller.signal.aborted ? abortText(controller.signal.reason) : errorText(error));
        }
        const code = res.statusCode ?? 0;
        const location = res.headers.location;
        if (REDIRECTS.has(code) && location !== undefined) {
          res.destroy();
          let next: URL;
          try {
            next = new URL(location, current);
          } catch {
            return failed(`failed to parse Location header ${JSON.stringify(location)}`);
          }
          if (next.protocol !== 'http:' && next.protocol !== 'https:')
            return failed(`unsupported protocol scheme in redirect to ${next.href}`);
          if (redirects >= maxRedirects) {
            current = next;
            return failed(`stopped after ${maxRedirects} redirects`);
          }
          if (code === 303 || ((code === 301 || code === 302) && currentMethod !== 'GET' && currentMethod !== 'HEAD'))
            currentMethod = 'GET';
          if (next.host !== current.host) currentHeaders = withoutCredentials(currentHeaders);
          current = next;
          continue;
        }
        const statusLine = `${code} ${res.statusMessage || http.STATUS_CODES[code] || ''}`.trimEnd();
        const body = await readCapped(res, cap, controller.signal);
        if (body.error !== undefined) {
          const why = controller.signal.aborted ? abortText(controller.signal.reason) : errorText(body.error);
          return failed(`reading the body of "${statusLine}": ${why}`);
        }
        return { status: statusOf(code), output: `${label}: ${statusLine} Output: ${body.text}` };
      }
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', abort);
    }
  };
}

/** The TLS settings of every https hop of a run (Go keeps one tls.Config across redirects too). */
function tlsOptionsOf(spec: HttpProbeSpec): https.RequestOptions {
  if (spec.tlsSkipVerify !== undefined && typeof spec.tlsSkipVerify !== 'boolean') {
    throw new InvalidArgumentError('tlsSkipVerify', `must be true or false, got ${typeof spec.tlsSkipVerify}`);
  }
  const name = spec.tlsServerName;
  const out: https.RequestOptions = { rejectUnauthorized: spec.tlsSkipVerify !== true };
  if (spec.secureContext !== undefined) {
    if (typeof spec.secureContext !== 'function')
      throw new InvalidArgumentError('secureContext', `must be a function returning a tls.SecureContext, got ${typeof spec.secureContext}`);
    if (spec.ca !== undefined) throw new InvalidArgumentError('secureContext', 'give ca or secureContext, not both');
  }
  if (spec.ca !== undefined) {
    if (typeof spec.ca !== 'string' && !Buffer.isBuffer(spec.ca))
      throw new InvalidArgumentError('ca', 'must be PEM text (a string or a Buffer)');
    out.ca = spec.ca;
  }
  if (name === undefined || name === '') return out;
  if (typeof name !== 'string' || name.length > 253 || !/^[A-Za-z0-9_.:-]+$/.test(name)) {
    throw new InvalidArgumentError(
      'tlsServerName',
      `must be a host name, got ${typeof name === 'string' ? JSON.stringify(name.slice(0, 40)) : describe(name)}`,
    );
  }
  // SNI carries host names only; an IP address is still the name the certificate must match.
  if (isIP(name) === 0) out.servername = name;
  out.checkServerIdentity = (_host, cert) => tls.checkServerIdentity(name, cert);
  return out;
}

function statusOf(code: number): HealthStatus {
  if (code >= 200 && code <= 299) return 'passing';
  return code === 429 ? 'warning' : 'critical';
}

function parseUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidArgumentError('url', `not a URL: ${typeof raw === 'string' ? JSON.stringify(raw) : typeof raw}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InvalidArgumentError('url', `must be http or https, got ${url.protocol}`);
  return url;
}

type Headers = Readonly<Record<string, string | string[]>>;

function requestHeaders(given: Readonly<Record<string, readonly string[]>>): Headers {
  const out: Record<string, string | string[]> = { 'user-agent': 'Consul Health Check', accept: 'text/plain, text/*, */*' };
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw new InvalidArgumentError('headers', 'must be an object of header names to arrays of values');
  }
  for (const [name, values] of Object.entries(given)) {
    const key = name.toLowerCase();
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) throw new InvalidArgumentError(`headers.${name}`, 'not a valid header name');
    if (!Array.isArray(values) || values.some((x) => typeof x !== 'string' || /[\r\n\0]/.test(x))) {
      throw new InvalidArgumentError(`headers.${name}`, 'must be an array of strings without CR, LF or NUL');
    }
    if (values.length === 0) continue;
    // Host is a single value (Go uses the first one as the request's Host).
    out[key] = key === 'host' ? (values[0] as string) : [...values];
  }
  return out;
}

function withoutCredentials(headers: Headers): Headers {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !SENSITIVE.has(name) && name !== 'host'));
}

/** Sends one request on a fresh socket (`agent: false`: `Connection: close`, nothing pooled). */
function send(
  url: URL,
  method: string,
  headers: Headers,
  signal: AbortSignal,
  lookup: LookupFunction,
  tlsOptions: https.RequestOptions,
  targets: TargetPolicy | undefined,
): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    // A refused literal never gets a socket; a name is checked by `lookup` before connecting.
    const rule = refusedTarget(url.hostname, targets);
    if (rule !== undefined) {
      reject(new TargetRefusedError(url.hostname, rule));
      return;
    }
    const options = { method, headers, agent: false as const, signal, lookup };
    const req =
      url.protocol === 'https:' ? https.request(url, { ...options, ...tlsOptions }, resolve) : http.request(url, options, resolve);
    req.on('error', reject);
    req.end();
  });
}

interface Body {
  readonly text: string;
  readonly error?: unknown;
}

/**
 * Reads at most `cap` bytes of the body, then destroys the response (and with it the socket).
 * Never rejects; a failure before the end or the cap is returned as `error`.
 */
function readCapped(res: http.IncomingMessage, cap: number, signal: AbortSignal): Promise<Body> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (error?: unknown) => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      res.destroy();
      const bytes = Buffer.concat(chunks, size);
      // A cut may split a UTF-8 sequence: stream mode leaves an incomplete tail out.
      const text = new TextDecoder().decode(bytes, { stream: size >= cap });
      resolve(error === undefined ? { text } : { text, error });
    };
    const onAbort = () => finish(signal.reason);
    if (cap === 0 || signal.aborted) {
      finish(signal.aborted ? signal.reason : undefined);
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    res.on('data', (chunk: Buffer) => {
      const take = Math.min(chunk.length, cap - size);
      // Copy the part we keep, so the rest of a large socket read can be freed.
      chunks.push(Buffer.from(chunk.subarray(0, take)));
      size += take;
      if (size >= cap) finish();
    });
    res.on('end', () => finish());
    res.on('error', (error) => finish(error));
    res.on('close', () => finish(res.complete ? undefined : new Error('connection closed before the body was complete')));
  });
}
