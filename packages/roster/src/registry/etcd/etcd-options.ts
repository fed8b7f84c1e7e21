/**
 * Options of the etcd backend and the `etcd://` URL, validated once at construction
 * (an InvalidArgumentError names the bad option).
 */
import { type Clock, systemClock } from '../../clock.js';
import { InvalidArgumentError } from '../../errors.js';
import * as v from '../../internal/options.js';
import type { BackoffOptions, BackoffSettings } from '../../internal/backoff.js';
import { redactSecrets } from '../../internal/redact.js';
import { ETCD_TLS_ENV, type RegistryTlsOptions, TLS_OPTIONS, type TlsMaterial, tlsMaterial } from '../tls-material.js';
import { DEFAULT_ETCD_PREFIX } from './etcd-codec.js';

/**
 * TLS material: CA, client certificate (for etcd's `--client-cert-auth`) and key, each PEM or a
 * file path (`caFile`, `certFile`, `keyFile`). Giving it implies TLS. With an `etcd+https://`
 * URL and no `tls`, etcdctl's variables ETCDCTL_CACERT, ETCDCTL_CERT, ETCDCTL_KEY are read.
 */
export type EtcdTlsOptions = RegistryTlsOptions;

/** Options of {@link etcdRegistry}. */
export interface EtcdRegistryOptions {
  /**
   * The cluster: `etcd://h1:2379,h2:2379,h3:2379` (plain), `etcd+https://…` (TLS), optionally
   * with `user:password@` before the hosts. Ports default to 2379. Default `etcd://127.0.0.1:2379`.
   */
  readonly url?: string;
  /** Key prefix of all registrations; must end with `/`. Default `/roster/services/`. */
  readonly prefix?: string;
  /** etcd user (role-based auth); overrides the URL's. Needs `password`. */
  readonly username?: string;
  readonly password?: string;
  /** TLS: server verification and client certificates. */
  readonly tls?: EtcdTlsOptions;
  /** Limit of one call (all its attempts on all members), default 5 s. Also the dial timeout. */
  readonly requestTimeoutMs?: number;
  /** How often a Lease without TTL checks that its key still exists (default 10 s). */
  readonly checkEveryMs?: number;
  /** Backoff between failed watch connections (default 100 ms doubling to 3 s, full jitter). */
  readonly backoff?: BackoffOptions;
  readonly clock?: Clock;
  /** Randomness for backoff jitter, [0, 1). */
  readonly random?: () => number;
}

/** Validated settings. */
export interface EtcdSettings {
  /** `http://host:port` or `https://host:port`, one per member. */
  readonly hosts: readonly string[];
  readonly prefix: string;
  readonly auth: { readonly username: string; readonly password: string } | undefined;
  readonly tls: TlsMaterial | undefined;
  readonly requestTimeoutMs: number;
  readonly checkEveryMs: number;
  readonly backoff: BackoffSettings;
  readonly clock: Clock;
  readonly random: () => number;
}

const URL_SHAPE = /^([a-z][a-z0-9+.-]*):\/\/(?:([^@/?#]*)@)?([^/?#]*)(\/?)$/i;
const HOST = /^(?:\[[0-9a-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::(\d{1,5}))?$/i;

/** Splits an `etcd://` URL into member addresses, TLS and credentials. */
export function parseEtcdUrl(url: string): { hosts: string[]; secure: boolean; username?: string; password?: string } {
  if (typeof url !== 'string') throw new InvalidArgumentError('url', 'must be a string');
  const m = URL_SHAPE.exec(url.trim());
  if (!m) throw new InvalidArgumentError('url', `${redactSecrets(JSON.stringify(url))} is not an etcd URL (etcd://host:2379,host:2379)`);
  const scheme = (m[1] as string).toLowerCase();
  const secure = { etcd: false, 'etcd+http': false, 'etcd+https': true, http: false, https: true }[scheme];
  if (secure === undefined)
    throw new InvalidArgumentError('url', `scheme must be etcd://, etcd+http:// or etcd+https://, got ${scheme}://`);
  const hosts = (m[3] as string).split(',').map((h) => h.trim());
  if (hosts.length === 0 || hosts.some((h) => h.length === 0)) throw new InvalidArgumentError('url', 'must name at least one host');
  const normalized = hosts.map((h) => {
    const hm = HOST.exec(h);
    if (!hm) throw new InvalidArgumentError('url', `${JSON.stringify(h)} is not host:port`);
    const port = hm[1] === undefined ? 2379 : Number(hm[1]);
    if (port < 1 || port > 65_535) throw new InvalidArgumentError('url', `port of ${JSON.stringify(h)} must be 1–65535`);
    return hm[1] === undefined ? `${h}:2379` : h;
  });
  const result: { hosts: string[]; secure: boolean; username?: string; password?: string } = { hosts: normalized, secure };
  if (m[2] !== undefined) {
    const [user = '', ...rest] = m[2].split(':');
    try {
      result.username = decodeURIComponent(user);
      if (rest.length > 0) result.password = decodeURIComponent(rest.join(':'));
    } catch {
      throw new InvalidArgumentError('url', 'user info is not valid percent-encoding');
    }
  }
  return result;
}

const CONTROL = /[\u0000-\u001f\u007f]/;

const ETCD_OPTIONS = {
  url: v.withDefault(v.string(1, 4096), 'etcd://127.0.0.1:2379'),
  prefix: v.withDefault(v.string(1, 1024), DEFAULT_ETCD_PREFIX),
  username: v.optional(v.string(1, 256)),
  password: v.optional(v.string(0, 4096)),
  tls: v.optional(TLS_OPTIONS),
  requestTimeoutMs: v.withDefault(v.duration(1), 5000),
  checkEveryMs: v.withDefault(v.duration(100), 10_000),
  backoff: v.backoff({ baseMs: 100, maxMs: 3000 }),
  clock: v.withDefault(v.clock, systemClock),
  random: v.withDefault(v.random, Math.random),
};

/** Validates options and fills defaults. @throws InvalidArgumentError naming the bad option. */
export function etcdSettings(options: EtcdRegistryOptions): EtcdSettings {
  const o = v.options(options, ETCD_OPTIONS);
  const parsed = parseEtcdUrl(o.url);
  const prefix = o.prefix;
  if (!prefix.endsWith('/') || CONTROL.test(prefix)) {
    throw new InvalidArgumentError('prefix', `must be a non-empty key prefix ending with "/", got ${JSON.stringify(prefix)}`);
  }
  const username = o.username ?? parsed.username;
  const password = o.password ?? parsed.password;
  if ((username === undefined) !== (password === undefined)) {
    throw new InvalidArgumentError(username === undefined ? 'username' : 'password', 'username and password go together');
  }
  if (username !== undefined && username.length === 0) throw new InvalidArgumentError('username', 'must not be empty');
  const secure = parsed.secure || o.tls !== undefined;
  const tls = secure ? (tlsMaterial(o.tls, 'tls', ETCD_TLS_ENV) ?? (o.tls === undefined ? undefined : {})) : undefined;
  return {
    hosts: parsed.hosts.map((h) => `${secure ? 'https' : 'http'}://${h}`),
    prefix,
    auth: username !== undefined && password !== undefined ? { username, password } : undefined,
    tls,
    requestTimeoutMs: o.requestTimeoutMs,
    checkEveryMs: o.checkEveryMs,
    backoff: o.backoff,
    clock: o.clock,
    random: o.random,
  };
}
