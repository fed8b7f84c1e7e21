/**
 * The memory backend: the whole Registry contract in one process. Useful as the simplest
 * embedded registry and as the registry fake for testing client code (with a FakeClock).
 */
import * as v from '../internal/options.js';
import { AbortedError, ClosedError } from '../errors.js';
import { watchIterable } from '../internal/watch-iterable.js';
import type { Instance, Registration, Snapshot } from '../model.js';
import { validateId, validateRegistration, validateServiceName } from '../validate.js';
import { KeptLease } from './kept-lease.js';
import { MemoryStore } from './memory-store.js';
import { refuseUnrunChecks } from './refuse-unrun-checks.js';
import type { CallOptions, Lease, RegisterOptions, Registry, RegistryCapabilities } from './registry.js';

/** Options of {@link memoryRegistry}. */
export interface MemoryRegistryOptions {
  /** Shared state; clients given the same store see each other's registrations. Default: a new store. */
  readonly store?: MemoryStore;
  /** How often a lease without TTL checks that its registration still exists (default 10 s). */
  readonly checkEveryMs?: number | string;
  /** Called once when the client is closed (how `connect('memory://name')` lets go of a named store). */
  readonly onClose?: () => void;
}

/** Creates a memory registry client. */
export function memoryRegistry(options: MemoryRegistryOptions = {}): Registry {
  const o = v.options(options, MEMORY_OPTIONS);
  return new MemoryRegistry(o.store, o.checkEveryMs, o.onClose);
}

const MEMORY_OPTIONS = {
  store: v.withFactory(
    v.satisfies<MemoryStore>((x) => x instanceof MemoryStore, 'a MemoryStore'),
    () => new MemoryStore(),
  ),
  checkEveryMs: v.withDefault(v.duration(1), 10_000),
  onClose: v.optional(v.fn<() => void>()),
};

function checkSignal(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortedError(signal.reason);
}

/** The memory store times out TTL checks; it probes nothing (D140). */
const MEMORY_CAPABILITIES: RegistryCapabilities = Object.freeze({ backend: 'memory', checkKinds: Object.freeze(['ttl'] as const) });

class MemoryRegistry implements Registry {
  readonly capabilities = MEMORY_CAPABILITIES;
  readonly #store: MemoryStore;
  readonly #checkEveryMs: number;
  readonly #leases = new Set<KeptLease>();
  /** Aborted by close(): ends every watch. */
  readonly #life = new AbortController();
  #closed = false;

  readonly #onClose: (() => void) | undefined;

  constructor(store: MemoryStore, checkEveryMs: number, onClose: (() => void) | undefined) {
    this.#store = store;
    this.#checkEveryMs = checkEveryMs;
    this.#onClose = onClose;
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClosedError('memory registry');
  }

  async register(registration: Registration, options: RegisterOptions = {}): Promise<Lease> {
    v.options(options, v.CALL_OPTIONS, 'options');
    this.#assertOpen();
    checkSignal(options.signal);
    const reg = validateRegistration(registration);
    refuseUnrunChecks(reg, this.capabilities);
    const store = this.#store;
    const instance: Instance = store.put(reg, 'passing');
    const lease = new KeptLease({
      instance,
      clock: store.clock,
      renewEveryMs: reg.ttlMs > 0 ? reg.ttlMs / 3 : this.#checkEveryMs,
      onEnd: (l) => this.#leases.delete(l),
      driver: {
        register: async (health) => {
          store.put(reg, health);
        },
        renew: async (health) => (store.renew(reg.service, reg.id, health) ? 'ok' : 'forgotten'),
        setHealth: async (health) => (store.renew(reg.service, reg.id, health) ? 'ok' : 'forgotten'),
        remove: async () => {
          store.remove(reg.service, reg.id);
        },
      },
    });
    this.#leases.add(lease);
    return lease;
  }

  async deregister(service: string, id: string, options: CallOptions = {}): Promise<boolean> {
    v.options(options, v.CALL_OPTIONS, 'options');
    this.#assertOpen();
    checkSignal(options.signal);
    return this.#store.remove(validateServiceName(service), validateId(id));
  }

  async list(service: string, options: CallOptions = {}): Promise<Snapshot> {
    v.options(options, v.CALL_OPTIONS, 'options');
    this.#assertOpen();
    checkSignal(options.signal);
    return this.#store.snapshot(validateServiceName(service));
  }

  async services(options: CallOptions = {}): Promise<readonly string[]> {
    v.options(options, v.CALL_OPTIONS, 'options');
    this.#assertOpen();
    checkSignal(options.signal);
    return this.#store.services();
  }

  watch(service: string, options: CallOptions = {}): AsyncIterable<Snapshot> {
    v.options(options, v.WATCH_OPTIONS, 'options');
    this.#assertOpen();
    validateServiceName(service);
    return watchIterable([this.#life.signal, options.signal], (channel, signal) => {
      channel.push(this.#store.snapshot(service));
      const unsubscribe = this.#store.subscribe(service, (s) => channel.push(s));
      signal.addEventListener(
        'abort',
        () => {
          unsubscribe();
          channel.end();
        },
        { once: true },
      );
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const lease of [...this.#leases]) lease.close();
    this.#life.abort(new ClosedError('memory registry'));
    this.#onClose?.();
  }
}
