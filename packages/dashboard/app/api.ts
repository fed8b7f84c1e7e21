/**
 * The dashboard's HTTP client: same-origin requests to roster serve, the token as the
 * `X-Consul-Token` header (never in the URL), path segments always percent-encoded.
 */
import type { TokenStore } from './token-store.js';

/** A refused or failed request: the status and the server's own message. */
export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** An answer with the headers the dashboard reads. */
export interface ApiAnswer<T> {
  readonly body: T;
  /** `X-Consul-Index` (0 when absent). */
  readonly index: number;
  /** `X-Consul-Results-Filtered-By-ACLs: true`. */
  readonly filtered: boolean;
}

/** Encodes one path segment (an ID or a name may hold `/`, `?`, `#`). */
export function segment(value: string): string {
  return encodeURIComponent(value);
}

/** Requests to the API of the server that served the page. */
export class Api {
  readonly #tokens: TokenStore;

  constructor(tokens: TokenStore) {
    this.#tokens = tokens;
  }

  /** The request headers (the token, when there is one). */
  headers(): Record<string, string> {
    const token = this.#tokens.token;
    return token === '' ? {} : { 'X-Consul-Token': token };
  }

  /** GET `path` as JSON. @throws ApiError for a non-2xx answer (its text as the message). */
  async get<T>(path: string, signal?: AbortSignal): Promise<ApiAnswer<T>> {
    const res = await fetch(path, { headers: this.headers(), signal: signal ?? null, cache: 'no-store' });
    if (!res.ok) throw new ApiError(res.status, (await res.text()).trim() || res.statusText);
    return {
      body: (await res.json()) as T,
      index: Number(res.headers.get('X-Consul-Index') ?? 0) || 0,
      filtered: res.headers.get('X-Consul-Results-Filtered-By-ACLs') === 'true',
    };
  }

  /** PUT `path` (no body). @throws ApiError for a non-2xx answer. */
  async put(path: string): Promise<void> {
    const res = await fetch(path, { method: 'PUT', headers: this.headers(), cache: 'no-store' });
    if (!res.ok) throw new ApiError(res.status, (await res.text()).trim() || res.statusText);
  }
}
