/**
 * One Resolver per (registry, service) in a process, shared by everyone who asks: each
 * `acquire` returns a handle; the Resolver stops when the last handle is released.
 */
import * as v from '../internal/options.js';
import type { Registry } from '../registry/registry.js';
import { validateServiceName } from '../validate.js';
import { Resolver, type ResolverOptions } from './resolver.js';

/** A reference to a shared Resolver. */
export interface ResolverHandle {
  readonly resolver: Resolver;
  /** Gives the reference back; idempotent. */
  release(): void;
}

const pools = new WeakMap<Registry, Map<string, { resolver: Resolver; refs: number }>>();

/**
 * The shared Resolver of `service` on `registry`, created on first use with `options`
 * (later callers share it; their options are ignored).
 * @throws InvalidArgumentError naming `registry`, `service` or `options` (or an option, when the
 *   Resolver is created) that is wrong.
 */
export function acquireResolver(
  registry: Registry,
  service: string,
  options: Omit<ResolverOptions, 'registry' | 'service'> = {},
): ResolverHandle {
  v.withMethods<Registry>(['watch'], 'a Registry (connect(url), consulRegistry(), memoryRegistry())')(registry, 'registry');
  validateServiceName(service);
  v.object({}, { open: true })(options, 'options');
  let pool = pools.get(registry);
  if (!pool) {
    pool = new Map();
    pools.set(registry, pool);
  }
  let entry = pool.get(service);
  if (!entry || entry.resolver.closed) {
    entry = { resolver: new Resolver({ ...options, registry, service }), refs: 0 };
    pool.set(service, entry);
  }
  entry.refs += 1;
  const held = entry;
  let released = false;
  return {
    resolver: held.resolver,
    release() {
      if (released) return;
      released = true;
      held.refs -= 1;
      if (held.refs === 0) {
        held.resolver.close();
        if (pool.get(service) === held) pool.delete(service);
      }
    },
  };
}
