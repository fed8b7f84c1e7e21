/**
 * The ACL token, kept in session storage (gone when the tab closes), sent only as the
 * `X-Consul-Token` header, never in a URL.
 */
const TOKEN_KEY = 'roster.token';
const ASKED_KEY = 'roster.token.asked';

/** Reads and writes the token of this tab. */
export class TokenStore {
  /** The token, `''` for none. */
  get token(): string {
    return sessionStorage.getItem(TOKEN_KEY) ?? '';
  }

  /** True once the user was asked (and answered or declined), so the page asks only once. */
  get asked(): boolean {
    return sessionStorage.getItem(ASKED_KEY) === '1';
  }

  /** Keeps `token` (`''` forgets it) and remembers that the user was asked. */
  set(token: string): void {
    if (token === '') sessionStorage.removeItem(TOKEN_KEY);
    else sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(ASKED_KEY, '1');
  }
}
