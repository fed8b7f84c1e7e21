/**
 * connect(url): one URL picks the backend.
 *   memory://[name]              an in-process registry; clients with the same name share it
 *   consul://host:8500           Consul or roster serve (also consul+https://, http://, https://)
 *   etcd://h1:2379,h2:2379       an etcd v3 cluster (needs the optional `etcd3` package)
 */
import { InvalidArgumentError } from '../errors.js';
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

const memoryStores = new Map<string, MemoryStore>();

/** Creates a Registry client for `url`. @throws InvalidArgumentError for an unknown scheme or a bad URL. */
export function connect(url: string, options: ConnectOptions = {}): Registry {
  if (typeof url !== 'string') throw new InvalidArgumentError('url', `must be a string, got ${typeof url}`);
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'memory': {
      const name = url.slice('memory:'.length).replace(/^\/\//, '') || 'default';
      let store = memoryStores.get(name);
      if (!store) {
        store = new MemoryStore({ clock: options.memory?.clock });
        memoryStores.set(name, store);
      }
      return memoryRegistry({ store });
    }
    case 'consul':
    case 'consul+http':
    case 'consul+https':
    case 'http':
    case 'https':
      return consulRegistry({ ...options.consul, url });
    case 'etcd':
    case 'etcd+http':
    case 'etcd+https':
      return etcdRegistry({ ...options.etcd, url });
    default:
      throw new InvalidArgumentError(
        'url',
        `${JSON.stringify(url)}: the scheme must be memory://, consul:// (or http:// for a Consul API) or etcd://`,
      );
  }
}
