/**
 * The Consul backend: the Registry contract over Consul's HTTP API (and so over roster serve).
 * Registration goes through the agent endpoints with a TTL *self check* the Lease renews;
 * discovery reads `/v1/health/service/<name>`; watch uses roster serve's streaming watch when the
 * server offers it (all watches of a registry share one connection; WatchStreamClient) and
 * blocking queries otherwise, with the same index-reset handling and jittered backoff either way.
 */
import { type Clock, sleep, systemClock } from '../../clock.js';
import { formatMs } from '../../duration.js';
import { AbortedError, ClosedError } from '../../errors.js';
import { type BackoffOptions, type BackoffSettings, backoffDelay } from '../../internal/backoff.js';
import type { Latest } from '../../internal/latest.js';
import { watchIterable } from '../../internal/watch-iterable.js';
import { feedWatch } from '../../internal/watch-loop.js';
import { byId, type HealthStatus, type Instance, type Registration, type Snapshot, toInstance } from '../../model.js';
import { validateId, validateRegistration, validateServiceName } from '../../validate.js';
import * as v from '../../internal/options.js';
import { KeptLease, type LeaseDriver, type RenewOutcome } from '../kept-lease.js';
import type { CallOptions, Lease, RegisterOptions, Registry, RegistryCapabilities, WatchOptions } from '../registry.js';
import { BlockingIndex, returnedEarly } from './blocking-index.js';
import { decodeServiceEntry, encodeRegistration, renewedCheckIds } from './consul-codec.js';
import { type ConsulHttp, consulError } from './consul-http.js';
import { CONSUL_ADDRESS_OPTIONS, type ConsulAddressOptions, consulHttpFor } from './consul-url.js';
import { sendTtlUpdate } from './ttl-check-update.js';
import { type StreamLine, WatchStreamClient } from './watch-stream-client.js';

/** Options of {@link consulRegistry}. */
export interface ConsulRegistryOptions extends ConsulAddressOptions {
  readonly clock?: Clock;
  /** Randomness for backoff jitter, [0, 1). */
  readonly random?: () => number;
  /** `wait` of each blocking query in a watch (default 60 s; Consul caps at 10 min). */
  readonly watchWaitMs?: number;
  /** Backoff between failed watch or renewal calls (default 100 ms doubling to 10 s, full jitter). */
  readonly backoff?: BackoffOptions;
  /** How often a Lease without TTL checks that its registration still exists (default 10 s). */
  readonly checkEveryMs?: number;
  /** How long a TTL registration stays critical before Consul removes it (default 1 min, Consul's minimum). */
  readonly deregisterAfterMs?: number;
}

const CONSUL_OPTIONS = {
  ...CONSUL_ADDRESS_OPTIONS,
  clock: v.withDefault(v.clock, systemClock),
  random: v.withDefault(v.random, Math.random),
  // Consul caps a blocking query's wait at 10 minutes.
  watchWaitMs: v.withDefault(v.duration(1000, 600_000), 60_000),
  backoff: v.backoff({ baseMs: 100, maxMs: 10_000 }),
  checkEveryMs: v.withDefault(v.duration(100), 10_000),
  deregisterAfterMs: v.withDefault(v.duration(1000), 60_000),
};

/** Creates a Registry client for Consul or roster serve. @throws InvalidArgumentError naming the bad option. */
export function consulRegistry(options: ConsulRegistryOptions = {}): Registry {
  const o = v.options(options, CONSUL_OPTIONS);
  const http = consulHttpFor(o);
  return new ConsulRegistry(http, {
    clock: o.clock,
    random: o.random,
    watchWaitMs: o.watchWaitMs,
    backoff: o.backoff,
    checkEveryMs: o.checkEveryMs,
    deregisterAfterMs: o.deregisterAfterMs,
  });
}

interface Settings {
  readonly clock: Clock;
  readonly random: () => number;
  readonly watchWaitMs: number;
  readonly backoff: BackoffSettings;
  readonly checkEveryMs: number;
  readonly deregisterAfterMs: number;
}

const enc = encodeURIComponent;

/** A snapshot of `/v1/health/service/<name>` entries (sorted, other services' entries dropped). */
function snapshotOf(service: string, entries: readonly unknown[], index: number): Snapshot {
  const instances = entries
    .map(decodeServiceEntry)
    .filter((i): i is Instance => i !== undefined && i.service.toLowerCase() === service.toLowerCase())
    .sort(byId);
  return { service, instances, revision: Math.max(1, index) };
}

/** roster serve and Consul run every kind of check. */
const CONSUL_CAPABILITIES: RegistryCapabilities = Object.freeze({
  backend: 'consul',
  checkKinds: Object.freeze(['http', 'tcp', 'ttl'] as const),
});

class ConsulRegistry implements Registry {
  readonly capabilities = CONSUL_CAPABILITIES;
  readonly #http: ConsulHttp;
  readonly #s: Settings;
  readonly #life = new AbortController();
  readonly #leases = new Set<KeptLease>();
  readonly #streams: WatchStreamClient;

  constructor(http: ConsulHttp, settings: Settings) {
    this.#http = http;
    this.#s = settings;
    this.#streams = new WatchStreamClient(http, this.#life.signal);
  }

  #open(signal?: AbortSignal): AbortSignal {
    if (this.#life.signal.aborted) throw new ClosedError('consul registry');
    if (signal?.aborted) throw new AbortedError(signal.reason);
    return signal ? AbortSignal.any([signal, this.#life.signal]) : this.#life.signal;
  }

  async register(registration: Registration, options: RegisterOptions = {}): Promise<Lease> {
    v.options(options, v.CALL_OPTIONS, 'options');
    const reg = validateRegistration(registration);
    const signal = this.#open(options.signal);
    const http = this.#http;
    const put = async (health: HealthStatus, output: string, s: AbortSignal) => {
      const body = encodeRegistration(reg, { health, output, deregisterAfterMs: this.#s.deregisterAfterMs });
      const res = await http.send({
        method: 'PUT',
        path: '/v1/agent/service/register',
        query: { 'replace-existing-checks': 'true' },
        body,
        signal: s,
      });
      if (res.status !== 200) throw consulError(res.status, res.body, `register ${reg.service}/${reg.id}`);
    };
    const report = async (health: HealthStatus, output: string, s: AbortSignal): Promise<RenewOutcome> => {
      for (const checkId of renewedCheckIds(reg)) {
        // A check that is gone, or exists but is no TTL check (someone replaced our registration).
        if ((await sendTtlUpdate(http, checkId, health, output, s)) !== 'updated') return 'forgotten';
      }
      return 'ok';
    };
    await put('passing', '', signal);
    const driver: LeaseDriver = {
      register: put,
      renew: report,
      setHealth: report,
      remove: async (s) => {
        const res = await http.send({ method: 'PUT', path: `/v1/agent/service/deregister/${enc(reg.id)}`, signal: s });
        if (res.status !== 200 && res.status !== 404) throw consulError(res.status, res.body, `deregister ${reg.service}/${reg.id}`);
      },
    };
    const lease = new KeptLease({
      instance: toInstance(reg, 'passing'),
      driver,
      clock: this.#s.clock,
      renewEveryMs: reg.ttlMs > 0 ? reg.ttlMs / 3 : this.#s.checkEveryMs,
      onEnd: (l) => this.#leases.delete(l),
    });
    this.#leases.add(lease);
    return lease;
  }

  async deregister(service: string, id: string, options: CallOptions = {}): Promise<boolean> {
    v.options(options, v.CALL_OPTIONS, 'options');
    validateServiceName(service);
    validateId(id);
    const signal = this.#open(options.signal);
    const found = await this.#http.send({ method: 'GET', path: `/v1/catalog/service/${enc(service)}`, signal });
    if (found.status !== 200) throw consulError(found.status, found.body, `deregister ${service}/${id}`);
    const entry = (Array.isArray(found.body) ? found.body : []).find((e) => e?.ServiceID === id && e?.ServiceName === service);
    if (!entry) return false;
    const self = await this.#http.send({ method: 'GET', path: '/v1/agent/self', signal });
    const localNode = (self.body as { Config?: { NodeName?: unknown } })?.Config?.NodeName;
    const res =
      entry.Node === localNode
        ? await this.#http.send({ method: 'PUT', path: `/v1/agent/service/deregister/${enc(id)}`, signal })
        : await this.#http.send({ method: 'PUT', path: '/v1/catalog/deregister', body: { Node: entry.Node, ServiceID: id }, signal });
    if (res.status === 404) return false;
    if (res.status !== 200) throw consulError(res.status, res.body, `deregister ${service}/${id}`);
    return true;
  }

  async list(service: string, options: CallOptions = {}): Promise<Snapshot> {
    v.options(options, v.CALL_OPTIONS, 'options');
    validateServiceName(service);
    return this.#fetch(service, 0, this.#open(options.signal));
  }

  async #fetch(service: string, index: number, signal: AbortSignal): Promise<Snapshot> {
    const wait = this.#s.watchWaitMs;
    const res = await this.#http.send({
      method: 'GET',
      path: `/v1/health/service/${enc(service)}`,
      query: index > 0 ? { index, wait: formatMs(wait) } : {},
      signal,
      // Consul may hold a blocking query for wait + wait/16 of jitter.
      timeoutMs: index > 0 ? Math.ceil(wait + wait / 16) + 10_000 : undefined,
    });
    if (res.status !== 200) throw consulError(res.status, res.body, `list ${service}`);
    return snapshotOf(service, Array.isArray(res.body) ? res.body : [], res.index);
  }

  async services(options: CallOptions = {}): Promise<readonly string[]> {
    v.options(options, v.CALL_OPTIONS, 'options');
    const res = await this.#http.send({ method: 'GET', path: '/v1/catalog/services', signal: this.#open(options.signal) });
    if (res.status !== 200) throw consulError(res.status, res.body, 'services');
    // Real Consul servers list themselves as the service "consul"; it is not one of ours.
    return Object.keys((res.body as Record<string, unknown>) ?? {})
      .filter((name) => name !== 'consul')
      .sort();
  }

  watch(service: string, options: WatchOptions = {}): AsyncIterable<Snapshot> {
    v.options(options, v.WATCH_OPTIONS, 'options');
    validateServiceName(service);
    this.#open();
    return watchIterable([this.#life.signal, options.signal], (channel, signal) => {
      void this.#watchLoop(service, channel, signal, options);
    });
  }

  async #watchLoop(
    service: string,
    channel: Latest<Snapshot>,
    signal: AbortSignal,
    { onError, onReset, onRecover }: WatchOptions,
  ): Promise<void> {
    const cursor = new BlockingIndex();
    let last: string | undefined;
    let spins = 0;
    const { clock, random, backoff, watchWaitMs } = this.#s;
    /** Takes one answer (a blocking query's or a stream line's); false when it was not an update. */
    const take = (snap: Snapshot): boolean => {
      const step = cursor.advance(snap.revision);
      if (step.reset) {
        try {
          onReset?.();
        } catch {
          // A listener's throw must not end the watch.
        }
      }
      if (!step.moved) return false;
      const key = JSON.stringify(snap.instances);
      if (key !== last) {
        last = key;
        channel.push({ ...snap, revision: step.revision });
      }
      return true;
    };
    await feedWatch(channel, { signal, clock, random, backoff, onError, onRecover }, async (healthy) => {
      if (this.#streams.usable) {
        let ended: 'unsupported' | 'aborted';
        try {
          ended = await this.#streams.run({
            service,
            index: cursor.index,
            signal,
            onReady: healthy,
            onLine: (line: StreamLine) => {
              take(snapshotOf(service, line.entries, line.index));
            },
          });
        } catch (error) {
          cursor.interrupted();
          throw error;
        }
        if (ended === 'aborted') return;
      }
      const asked = cursor.index;
      const sentAt = clock.now();
      let snap: Snapshot;
      try {
        snap = await this.#fetch(service, asked, signal);
      } catch (error) {
        cursor.interrupted();
        // The server may have been replaced by one that offers the stream.
        this.#streams.reprobe();
        throw error;
      }
      healthy();
      if (!take(snap)) {
        // Not an update. Answered at once without a change: wait before asking again, never spin.
        if (returnedEarly({ reset: false, moved: false, revision: 0 }, asked, clock.now() - sentAt, watchWaitMs)) {
          await sleep(clock, Math.max(backoff.baseMs, backoffDelay(spins++, backoff, random)), signal).catch(() => {});
        } else spins = 0;
        return;
      }
      spins = 0;
    });
  }

  async close(): Promise<void> {
    if (this.#life.signal.aborted) return;
    for (const lease of [...this.#leases]) lease.close();
    this.#life.abort(new ClosedError('consul registry'));
    await this.#http.close();
  }
}
