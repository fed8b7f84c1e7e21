/**
 * connect(url): one URL picks the backend.
 *   memory://[name]          an in-process registry; clients with the same name share it
 *   consul://host:8500       Consul or roster serve (also consul+https://, http://, https://)
 */
import { InvalidArgumentError } from '../errors.js';
import { type ConsulRegistryOptions, consulRegistry } from './consul/consul-registry.js';
import { memoryRegistry } from './memory.js';
import { MemoryStore } from './memory-store.js';
import type { Registry } from './registry.js';

/** Options passed through to the backend the URL selects. */
export type ConnectOptions = Omit<ConsulRegistryOptions, 'url'>;

const memoryStores = new Map<string, MemoryStore>();

/** Creates a Registry client for `url`. @throws InvalidArgumentError for an unknown scheme. */
export function connect(url: string, options: ConnectOptions = {}): Registry {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'memory': {
      const name = url.slice('memory:'.length).replace(/^\/\//, '') || 'default';
      let store = memoryStores.get(name);
      if (!store) {
        store = new MemoryStore({ clock: options.clock });
        memoryStores.set(name, store);
      }
      return memoryRegistry({ store });
    }
    case 'consul':
    case 'consul+http':
    case 'consul+https':
    case 'http':
    case 'https':
      return consulRegistry({ ...options, url });
    default:
      throw new InvalidArgumentError(
        'url',
        `${JSON.stringify(url)}: the scheme must be memory:// or consul:// (or http:// for a Consul API)`,
      );
  }
}
