/**
 * connect(url): one URL picks the backend.
 *   memory://[name]              an in-process registry; clients with the same name share it
 *   consul://host:8500           Consul or roster serve (also consul+https://, http://, https://)
 *   etcd://h1:2379,h2:2379       an etcd v3 cluster (also etcd+https://; needs the optional `etcd3` package)
 * Tokens and TLS are options of the backend (`consul: { token, tokenFile, tls }`,
 * `etcd: { username, password, tls }`) or come from the environment (docs/security.md).
 */
import { InvalidArgumentError } from '../errors.js';
import * as v from '../internal/options.js';
import { redactSecrets } from '../internal/redact.js';
import { type ConsulRegistryOptions, consulRegistry } from './consul/consul-registry.js';
import { etcdRegistry } from './etcd/etcd-registry.js';
import type { EtcdRegistryOptions } from './etcd/etcd-options.js';
import { memoryRegistry } from './memory.js';
import { MemoryStore } from './memory-store.js';
import type { Registry } from './registry.js';

/** Options passed through to the backend the URL selects. */
export interface ConnectOptions {
  /** Options of the Consul backend (consul://, http://). */
  readonly consul?: Omit<ConsulRegistryOptions, 'url'>;
  /** Options of the etcd backend (etcd://). */
  readonly etcd?: Omit<EtcdRegistryOptions, 'url'>;
  /** Clock of a new memory:// store. */
  readonly memory?: { readonly clock?: MemoryStore['clock'] };
}

/** Named memory stores with the number of open clients; a store is dropped with its last client. */
const memoryStores = new Map<string, { store: MemoryStore; clients: number }>();

const CONNECT_OPTIONS = {
  // The backend checks its own options; here only that each is an object.
  consul: v.optional(v.object({}, { open: true })),
  etcd: v.optional(v.object({}, { open: true })),
  memory: v.optional(v.object({ clock: v.optional(v.clock) })),
};

/**
 * Creates a Registry client for `url`. A `memory://name` store lives while a client of it is
 * open: closing the last one drops its state (decisions D47).
 * @throws InvalidArgumentError for an unknown scheme, a bad URL or a bad option.
 */
export function connect(url: string, options: ConnectOptions = {}): Registry {
  if (typeof url !== 'string') throw new InvalidArgumentError('url', `must be a string, got ${v.describe(url)}`);
  const o = v.options(options, CONNECT_OPTIONS);
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'memory': {
      const name = url.slice('memory:'.length).replace(/^\/\//, '') || 'default';
      let held = memoryStores.get(name);
      if (!held) {
        held = { store: new MemoryStore({ clock: o.memory?.clock }), clients: 0 };
        memoryStores.set(name, held);
      }
      const entry = held;
      entry.clients++;
      return memoryRegistry({
        store: entry.store,
        onClose: () => {
          if (--entry.clients === 0 && memoryStores.get(name) === entry) memoryStores.delete(name);
        },
      });
    }
    case 'consul':
    case 'consul+http':
    case 'consul+https':
    case 'http':
    case 'https':
      return within('consul', () => consulRegistry({ ...o.consul, url }));
    case 'etcd':
    case 'etcd+http':
    case 'etcd+https':
      return within('etcd', () => etcdRegistry({ ...o.etcd, url }));
    default:
      throw new InvalidArgumentError(
        'url',
        `${redactSecrets(JSON.stringify(url))}: the scheme must be memory://, consul:// (or http:// for a Consul API) or etcd://`,
      );
  }
}

/**
 * Runs a backend's constructor; an error naming one of its options is renamed `consul.<option>`
 * (not one naming the URL or an environment variable such as CONSUL_CACERT: it is no option).
 */
function within<T>(prefix: string, make: () => T): T {
  try {
    return make();
  } catch (error) {
    if (error instanceof InvalidArgumentError && !/^url\b/.test(error.field) && !/^[A-Z][A-Z0-9_]*$/.test(error.field)) {
      throw new InvalidArgumentError(`${prefix}.${error.field}`, error.message.slice(error.field.length + 2), { cause: error });
    }
    throw error;
  }
}
