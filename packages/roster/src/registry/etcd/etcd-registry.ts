/**
 * The etcd backend: the Registry contract over etcd v3 (docs/etcd.md).
 * An instance is one key `<prefix><service>/<id>` holding its JSON, attached to an etcd lease
 * when the registration has a TTL; KeptLease keeps the lease alive and repairs it. Discovery is
 * a prefix get; watch is a prefix get followed by a prefix watch (see etcd-watch.ts). etcd runs
 * no health checks: an instance reports its own health, stored in its value.
 */
import * as v from '../../internal/options.js';
import { setMaxListeners } from 'node:events';
import { AbortedError, ClosedError } from '../../errors.js';
import { watchIterable } from '../../internal/watch-iterable.js';
import { type Registration, type Snapshot, toInstance } from '../../model.js';
import { validateId, validateRegistration, validateServiceName } from '../../validate.js';
import { KeptLease } from '../kept-lease.js';
import { refuseUnrunChecks } from '../refuse-unrun-checks.js';
import type { CallOptions, Lease, RegisterOptions, Registry, RegistryCapabilities, WatchOptions } from '../registry.js';
import { instanceKey, parseInstanceKey, prefixRangeEnd, servicePrefix } from './etcd-codec.js';
import { EtcdConnection } from './etcd-connection.js';
import { EtcdLeaseDriver } from './etcd-lease-driver.js';
import { type EtcdRegistryOptions, type EtcdSettings, etcdSettings } from './etcd-options.js';
import { decodeService, runServiceWatch } from './etcd-watch.js';

/**
 * Creates a Registry client for an etcd v3 cluster. Options are validated here; the `etcd3`
 * package is loaded and the cluster contacted on the first call.
 * @throws InvalidArgumentError naming a bad option.
 */
export function etcdRegistry(options: EtcdRegistryOptions = {}): Registry {
  return new EtcdRegistry(etcdSettings(options));
}

/** etcd stores registrations and runs no checks (D140): an instance reports its own health. */
const ETCD_CAPABILITIES: RegistryCapabilities = Object.freeze({ backend: 'etcd', checkKinds: Object.freeze([] as const) });

class EtcdRegistry implements Registry {
  readonly capabilities = ETCD_CAPABILITIES;
  readonly #s: EtcdSettings;
  readonly #life = new AbortController();
  readonly #leases = new Map<KeptLease, EtcdLeaseDriver>();
  #conn: Promise<EtcdConnection> | undefined;
  /** The connection once open (saves an await per call). */
  #ready: EtcdConnection | undefined;

  constructor(settings: EtcdSettings) {
    this.#s = settings;
    // Every call in flight listens to the client's life signal; many concurrent calls are normal.
    setMaxListeners(0, this.#life.signal);
  }

  #open(signal?: AbortSignal): AbortSignal {
    if (this.#life.signal.aborted) throw new ClosedError('etcd registry');
    if (signal?.aborted) throw new AbortedError(signal.reason);
    return signal ? AbortSignal.any([signal, this.#life.signal]) : this.#life.signal;
  }

  #connection(): EtcdConnection | Promise<EtcdConnection> {
    return this.#ready ?? this.#connect();
  }

  async #connect(): Promise<EtcdConnection> {
    this.#conn ??= EtcdConnection.open(this.#s);
    try {
      const conn = await this.#conn;
      if (this.#life.signal.aborted) {
        conn.close();
        throw new ClosedError('etcd registry');
      }
      this.#ready = conn;
      return conn;
    } catch (error) {
      this.#conn = undefined;
      throw error;
    }
  }

  async register(registration: Registration, options: RegisterOptions = {}): Promise<Lease> {
    v.options(options, v.CALL_OPTIONS, 'options');
    const reg = validateRegistration(registration);
    refuseUnrunChecks(reg, this.capabilities);
    const signal = this.#open(options.signal);
    const conn = await this.#connection();
    const instance = toInstance(reg, 'passing');
    const ttlSeconds = reg.ttlMs > 0 ? Math.max(1, Math.ceil(reg.ttlMs / 1000)) : 0;
    const driver = new EtcdLeaseDriver(conn, instanceKey(this.#s.prefix, reg.service, reg.id), instance, ttlSeconds);
    await driver.register('passing', '', signal);
    const lease = new KeptLease({
      instance,
      driver,
      clock: this.#s.clock,
      renewEveryMs: reg.ttlMs > 0 ? reg.ttlMs / 3 : this.#s.checkEveryMs,
      onEnd: (l) => this.#leases.delete(l),
    });
    this.#leases.set(lease, driver);
    return lease;
  }

  async deregister(service: string, id: string, options: CallOptions = {}): Promise<boolean> {
    v.options(options, v.CALL_OPTIONS, 'options');
    validateServiceName(service);
    validateId(id);
    const signal = this.#open(options.signal);
    const conn = await this.#connection();
    const prev = await conn.deleteKey(`deregister ${service}/${id}`, Buffer.from(instanceKey(this.#s.prefix, service, id)), signal);
    if (!prev) return false;
    // Its lease holds nothing else when it is one of ours: give it back. Never revoke others'
    // leases: a lease of another program may hold more keys than this one.
    if (prev.lease !== '0' && [...this.#leases.values()].some((d) => d.leaseId === prev.lease)) {
      await conn.revoke(prev.lease, signal).catch(() => {});
    }
    return true;
  }

  async list(service: string, options: CallOptions = {}): Promise<Snapshot> {
    v.options(options, v.CALL_OPTIONS, 'options');
    validateServiceName(service);
    const signal = this.#open(options.signal);
    const conn = await this.#connection();
    const key = Buffer.from(servicePrefix(this.#s.prefix, service));
    const res = await conn.range(`list ${service}`, key, { end: prefixRangeEnd(key) }, signal);
    // The store revision of the read: it only grows, and grows with every change of the service.
    return { service, instances: decodeService(this.#s.prefix, res.kvs), revision: res.revision };
  }

  async services(options: CallOptions = {}): Promise<readonly string[]> {
    v.options(options, v.CALL_OPTIONS, 'options');
    const signal = this.#open(options.signal);
    const conn = await this.#connection();
    const key = Buffer.from(this.#s.prefix);
    const res = await conn.range('list services', key, { end: prefixRangeEnd(key), keysOnly: true }, signal);
    const names = new Set<string>();
    for (const kv of res.kvs) {
      const parsed = parseInstanceKey(this.#s.prefix, kv.key);
      if (parsed) names.add(parsed.service);
    }
    return [...names].sort();
  }

  watch(service: string, options: WatchOptions = {}): AsyncIterable<Snapshot> {
    v.options(options, v.WATCH_OPTIONS, 'options');
    validateServiceName(service);
    this.#open();
    return watchIterable([this.#life.signal, options.signal], (channel, signal) => {
      const { prefix, clock, random, backoff } = this.#s;
      Promise.resolve(this.#connection()).then(
        (conn) =>
          runServiceWatch(
            {
              conn,
              prefix,
              service,
              clock,
              random,
              backoff,
              onError: options.onError,
              onReset: options.onReset,
              onRecover: options.onRecover,
            },
            channel,
            signal,
          ),
        (error: unknown) => channel.end(signal.aborted ? undefined : error),
      );
    });
  }

  async close(): Promise<void> {
    if (this.#life.signal.aborted) return;
    for (const lease of [...this.#leases.keys()]) lease.close();
    this.#life.abort(new ClosedError('etcd registry'));
    const conn = this.#conn;
    this.#conn = undefined;
    this.#ready = undefined;
    (await conn?.catch(() => undefined))?.close();
  }
}
