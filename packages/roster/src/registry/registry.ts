/**
 * The Registry contract: what every backend (memory, roster serve / Consul, etcd) provides.
 * Backends only translate between this contract and their store; retries, caching and health
 * policy live once, in the core (Resolver, Balancer). The contract suite in `roster/testing`
 * (`registryContract`) checks every clause below against a real backend.
 */
import type { HealthCheck, HealthStatus, Instance, Registration, Snapshot } from '../model.js';

/**
 * What a backend can do beyond storing registrations; read by callers before they rely on it
 * (`announce()` runs an HTTP check itself where the registry runs none). Constant for the life
 * of a client; reading it never does I/O.
 */
export interface RegistryCapabilities {
  /** The backend's name for messages: `memory`, `consul`, `etcd`. */
  readonly backend: string;
  /**
   * The kinds of `Registration.checks` the backend runs (probes HTTP/TCP, times out TTL checks)
   * and reflects in the instance's health. `register()` refuses a registration with a check of
   * any other kind with an InvalidArgumentError naming `checks[i]` and the backend, before
   * anything is stored: a check nobody runs would leave the instance `passing` whatever happens.
   * roster serve / Consul: `http`, `tcp`, `ttl`; memory: `ttl`; etcd: none (D140).
   */
  readonly checkKinds: readonly HealthCheck['kind'][];
}

/** Options accepted by calls that may wait on the network. */
export interface CallOptions {
  /** Aborting rejects the call with AbortedError (or the signal's reason) and cancels its work. */
  readonly signal?: AbortSignal;
}

/** What happened to a Lease; delivered to {@link Lease.onEvent} listeners in order. */
export type LeaseEvent =
  /** A renewal succeeded. */
  | { readonly type: 'renewed'; readonly at: number }
  /** A renewal failed for a transient reason; the Lease keeps trying. */
  | { readonly type: 'renew-failed'; readonly at: number; readonly error: Error }
  /** The registry no longer held the registration (expired, deleted, registry restarted empty). */
  | { readonly type: 'forgotten'; readonly at: number }
  /** After `forgotten`, the Lease registered the instance again. */
  | { readonly type: 'restored'; readonly at: number }
  /** The Lease ended: deregistered by its owner, or lost for good (then `lost` is aborted too). */
  | { readonly type: 'ended'; readonly at: number; readonly reason: 'deregistered' | 'lost' | 'closed' };

/**
 * A held registration, returned by {@link Registry.register}.
 *
 * While held, the Lease renews the registration (when it has a TTL) and re-registers the
 * instance when the registry forgot it. `await using lease = await registry.register(...)`
 * deregisters it at the end of the scope.
 */
export interface Lease extends AsyncDisposable {
  /** The instance as registered (health as given at registration). */
  readonly instance: Instance;
  /**
   * Aborted when the registration is gone for good and the Lease will not restore it:
   * after `deregister()`, after the registry client was closed, or when re-registration was
   * refused (the reason is a LeaseLostError whose `cause` says why). Never aborted for a
   * forgotten-then-restored registration; watch {@link onEvent} for those.
   */
  readonly lost: AbortSignal;
  /**
   * Reports the instance's own health (the self-check of backends that run no checks, and
   * the TTL checks of those that do). Resolves once the registry has stored it.
   * @throws LeaseLostError after the lease ended; RegistryUnavailableError when unreachable.
   */
  setHealth(status: HealthStatus, output?: string, options?: CallOptions): Promise<void>;
  /**
   * Removes the registration and stops renewing it. Idempotent; resolves when the registry
   * has removed it (or it was already gone). `lost` is aborted afterwards.
   */
  deregister(options?: CallOptions): Promise<void>;
  /**
   * Subscribes to lease events; returns the function that unsubscribes. A listener that throws
   * is reported on the `roster:listener:error` diagnostics channel and changes nothing else.
   */
  onEvent(listener: (event: LeaseEvent) => void): () => void;
}

/** Registration options. */
export interface RegisterOptions extends CallOptions {}

/** Options of {@link Registry.watch}. */
export interface WatchOptions extends CallOptions {
  /**
   * Told about each transient error the watch retries internally (registry unreachable, 5xx),
   * so a consumer can report that its view may be stale. A throw is reported on the
   * `roster:listener:error` diagnostics channel and does not disturb the watch.
   */
  readonly onError?: (error: Error) => void;
  /**
   * Told when the registry's history went backwards (a Consul index lower than the last one, an
   * etcd store older than the last revision seen): the store was restored or restarted empty, and
   * the next snapshots may lack instances that will register again. Snapshot revisions still
   * increase. The Resolver rides through such snapshots (`ResolverOptions.rideThrough`).
   */
  readonly onReset?: () => void;
  /**
   * Told when the watch reaches the registry again after retried errors (an answer, an open
   * stream), even when nothing changed and so nothing is yielded: the consumer's view is
   * confirmed again. A throw is isolated like `onError`'s.
   */
  readonly onRecover?: () => void;
}

/** A backend: the source of truth for instances, and its change stream. */
export interface Registry {
  /** What this backend can do (the check kinds it runs); constant, never does I/O. */
  readonly capabilities: RegistryCapabilities;
  /**
   * Announces an instance (validated with `validateRegistration`); registering an existing id
   * of the same service replaces it. Resolves when the registry has durably accepted it.
   * @throws InvalidArgumentError (bad registration, names the field; a check of a kind not in
   *   `capabilities.checkKinds` names `checks[i]` and the backend), RegistryUnavailableError
   *   (retryable), ClosedError, AbortedError.
   */
  register(registration: Registration, options?: RegisterOptions): Promise<Lease>;
  /**
   * Removes an instance registered by anyone. Resolves `true` when it was removed, `false`
   * when there was no such instance (an expected outcome, not an error).
   */
  deregister(service: string, id: string, options?: CallOptions): Promise<boolean>;
  /** All instances of a service with their health (any health), sorted by id. Unknown service: empty. */
  list(service: string, options?: CallOptions): Promise<Snapshot>;
  /** Names of the services that have at least one instance, sorted. */
  services(options?: CallOptions): Promise<readonly string[]>;
  /**
   * Watches one service. The first item is the current state (possibly empty); then one item
   * per change, each with a higher revision. A consumer slower than the changes gets the newest
   * snapshot, never a backlog. Transient backend errors are retried inside with backoff; the
   * iteration ends when `signal` aborts or the registry closes (without throwing), and throws
   * only for non-retryable errors; retried errors are reported to `options.onError`, and the
   * registry answering again after them to `options.onRecover`.
   */
  watch(service: string, options?: WatchOptions): AsyncIterable<Snapshot>;
  /**
   * Stops all background work of this client (renewals, watches) and releases connections.
   * Does **not** deregister: registrations with a TTL then expire, as if the process died.
   * Leases end with reason `closed`; later calls throw ClosedError.
   */
  close(): Promise<void>;
}
