/**
 * Where the Consul backend finds its token and TLS material, and the errors for bad input:
 * each names the option (or variable) and, for files, the path; none quotes a token.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { connect } from '../connect.js';
import { consulBaseUrl, consulHttpFor, resolveConsulToken } from './consul-url.js';
import { consulRegistry } from './consul-registry.js';

const dir = mkdtempSync(join(tmpdir(), 'roster-consul-url-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.unstubAllEnvs());

const SECRET = 'super-secret-token-123';

describe('token sources', () => {
  it('first found wins: option, tokenFile, ?token=, ROSTER_TOKEN, CONSUL_HTTP_TOKEN, CONSUL_HTTP_TOKEN_FILE', () => {
    const env = {
      ROSTER_TOKEN: 'from-roster-env',
      CONSUL_HTTP_TOKEN: 'from-consul-env',
      CONSUL_HTTP_TOKEN_FILE: file('env-token', 'from-env-file\n'),
    };
    const tokenFile = file('option-token', '\n  from-option-file \r\n');
    const url = 'consul://127.0.0.1:1?token=from-url';
    expect(resolveConsulToken({ token: 'from-option', url }, env)).toBe('from-option');
    expect(resolveConsulToken({ tokenFile, url }, env)).toBe('from-option-file');
    expect(resolveConsulToken({ url }, env)).toBe('from-url');
    expect(resolveConsulToken({ url: 'consul://127.0.0.1:1' }, env)).toBe('from-roster-env');
    expect(resolveConsulToken({}, { ...env, ROSTER_TOKEN: '' })).toBe('from-consul-env');
    expect(resolveConsulToken({}, { CONSUL_HTTP_TOKEN_FILE: env.CONSUL_HTTP_TOKEN_FILE })).toBe('from-env-file');
    expect(resolveConsulToken({}, {})).toBeUndefined();
  });

  it('refuses token and tokenFile together, an unreadable, empty or bad token file, naming the source and the path', () => {
    expect(() => resolveConsulToken({ token: 'a', tokenFile: '/x' }, {})).toThrow(
      'tokenFile: give the token option or tokenFile, not both',
    );
    expect(() => resolveConsulToken({ tokenFile: join(dir, 'missing') }, {})).toThrow(
      `tokenFile: cannot read the token file ${JSON.stringify(join(dir, 'missing'))} (ENOENT)`,
    );
    expect(() => resolveConsulToken({}, { CONSUL_HTTP_TOKEN_FILE: dir })).toThrow(
      /^CONSUL_HTTP_TOKEN_FILE: cannot read the token file .* \(EISDIR\)/,
    );
    const empty = file('empty', ' \n');
    expect(() => resolveConsulToken({ tokenFile: empty }, {})).toThrow(`tokenFile: the token file ${JSON.stringify(empty)} is empty`);
    const spaced = file('spaced', `${SECRET} and more`);
    const error = (() => {
      try {
        resolveConsulToken({ tokenFile: spaced }, {});
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(error?.message).toMatch(/must be visible ASCII characters only/);
    expect(error?.message).not.toContain(SECRET);
  });

  it('never quotes a bad token in the error', () => {
    for (const bad of [`${SECRET} x`, `${SECRET}\n`, `${SECRET}é`]) {
      expect(() => consulRegistry({ token: bad })).toThrow(/^token: must be visible ASCII/);
      expect(() => consulRegistry({ token: bad })).not.toThrow(SECRET);
      vi.stubEnv('ROSTER_TOKEN', bad);
      expect(() => consulRegistry({})).toThrow(/^ROSTER_TOKEN: must be visible ASCII/);
      expect(() => consulRegistry({})).not.toThrow(SECRET);
      vi.unstubAllEnvs();
    }
    expect(() => consulRegistry({ token: 'x'.repeat(513) })).toThrow('token: must be at most 512 characters long, got 513');
    expect(() => consulRegistry({ token: '' })).toThrow('token: must not be empty');
    expect(() => consulRegistry({ token: 42 as never })).toThrow('token: must be a string, got number');
  });

  it('error messages about a URL never quote its token or password', () => {
    for (const url of [`ftp://h:1?token=${SECRET}`, `nope://u:${SECRET}@h`, `consul://h:1/path?token=${SECRET}`]) {
      const message = (() => {
        try {
          connect(url);
        } catch (e) {
          return (e as Error).message;
        }
        return '';
      })();
      expect(message).not.toBe('');
      expect(message).not.toContain(SECRET);
    }
    expect(() => consulBaseUrl(`::?token=${SECRET}`)).toThrow(/token=<redacted>/);
    expect(() => connect(`etcd://u:${SECRET}@h:1/x/y`)).toThrow(/u:<redacted>@/);
  });
});

describe('TLS options', () => {
  const https = 'consul+https://127.0.0.1:1';
  const pem = file('ok.pem', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');

  it('refuse TLS for an http URL, and TLS together with a dispatcher', () => {
    expect(() => consulRegistry({ url: 'consul://127.0.0.1:1', tls: { caFile: pem } })).toThrow(
      'tls: needs an https registry URL (https:// or consul+https://), got http://',
    );
    expect(() => connect('consul://127.0.0.1:1', { consul: { tls: { caFile: pem } } })).toThrow(
      /^consul\.tls: needs an https registry URL/,
    );
    expect(() =>
      consulRegistry({ url: https, tls: { caFile: pem }, dispatcher: { request() {}, dispatch() {}, close() {}, destroy() {} } as never }),
    ).toThrow(/^dispatcher: give TLS settings either to your own dispatcher/);
  });

  it('refuse an unreadable, empty or non-PEM file, naming the option and the path', () => {
    const missing = join(dir, 'nope.pem');
    expect(() => consulRegistry({ url: https, tls: { caFile: missing } })).toThrow(
      `tls.caFile: cannot read ${JSON.stringify(missing)} (ENOENT)`,
    );
    const unreadable = file('unreadable.pem', '-----BEGIN X-----');
    chmodSync(unreadable, 0);
    if (process.getuid?.() !== 0) {
      expect(() => consulRegistry({ url: https, tls: { caFile: unreadable } })).toThrow(/^tls\.caFile: cannot read .* \(EACCES\)/);
    }
    const notPem = file('not.pem', 'hello');
    expect(() => consulRegistry({ url: https, tls: { certFile: notPem, keyFile: pem } })).toThrow(
      `tls.certFile: ${JSON.stringify(notPem)} holds no PEM block (-----BEGIN …)`,
    );
    expect(() => consulRegistry({ url: https, tls: { caFile: '' } })).toThrow('tls.caFile: must not be empty');
    expect(() => consulRegistry({ url: https, tls: { ca: 42 as never } })).toThrow(
      'tls.ca: must be PEM text (a string or a Buffer), got 42',
    );
    expect(() => consulRegistry({ url: https, tls: { cafile: pem } as never })).toThrow(/^tls\.cafile: unknown option/);
  });

  it('refuse PEM and file for the same piece, and a certificate without its key', () => {
    expect(() => consulRegistry({ url: https, tls: { ca: 'x', caFile: pem } })).toThrow(
      'tls.caFile: give tls.ca (PEM) or tls.caFile (a path), not both',
    );
    expect(() => consulRegistry({ url: https, tls: { certFile: pem } })).toThrow(
      /^tls\.key: a client certificate needs its key and the key its certificate \(or CONSUL_CLIENT_CERT and CONSUL_CLIENT_KEY\)/,
    );
  });

  it("read Consul's variables for https URLs only, naming the variable on a bad file", () => {
    vi.stubEnv('CONSUL_CACERT', join(dir, 'missing-ca.pem'));
    expect(() => consulRegistry({ url: https })).toThrow(/^CONSUL_CACERT: cannot read .*missing-ca\.pem" \(ENOENT\)/);
    // http: the consul CLI ignores them too.
    expect(() => consulHttpFor({ url: 'consul://127.0.0.1:1' })).not.toThrow();
    vi.stubEnv('CONSUL_CACERT', pem);
    vi.stubEnv('CONSUL_CLIENT_KEY', pem);
    expect(() => consulRegistry({ url: https })).toThrow(/^tls\.cert: a client certificate needs its key/);
  });
});
