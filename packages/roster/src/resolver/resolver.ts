/**
 * Resolver: the client-side, watch-driven cache of one service (DESIGN.md §4).
 * `current()` is synchronous and never waits on the registry; a transient error never clears
 * the cache (the last good snapshot is served, marked stale with its age); a watch that fails
 * is restarted with jittered backoff; an optional file keeps the last good snapshot for cold
 * starts while the registry is down.
 */
import { type Clock, systemClock, type TimerHandle } from '../clock.js';
import { resolverErrorChannel, resolverUpdateChannel } from '../diagnostics.js';
import { AbortedError, ClosedError, ErrorCode, InvalidArgumentError, isRosterError, RegistryUnavailableError } from '../errors.js';
import type { BackoffOptions, BackoffSettings } from '../internal/backoff.js';
import * as v from '../internal/options.js';
import { TypedEvent } from '../internal/typed-event.js';
import { runWatchLoop } from '../internal/watch-loop.js';
import type { Snapshot } from '../model.js';
import type { Registry } from '../registry/registry.js';
import { validateServiceName } from '../validate.js';
import { diffSnapshots, isEmptyDiff, type SnapshotDiff } from './diff.js';
import { RideThrough, type RideThroughOption, rideThroughOption } from './ride-through.js';
import { loadSnapshot, saveSnapshot } from './snapshot-file.js';
import { safeString } from '../internal/safe-string.js';

/** Where a published snapshot came from. */
export type SnapshotSource = 'registry' | 'disk';

/** What subscribers receive on every change. */
export interface ResolverUpdate {
  readonly snapshot: Snapshot;
  readonly diff: SnapshotDiff;
  readonly source: SnapshotSource;
}

/** The Resolver's view, for health reporting. */
export interface ResolverState {
  readonly snapshot: Snapshot | undefined;
  readonly source: SnapshotSource | undefined;
  /**
   * True while the registry cannot be reached, while a suspicious snapshot is held back (see
   * `ResolverOptions.rideThrough`), or when the snapshot came from disk.
   */
  readonly stale: boolean;
  /** True while the registry's newest snapshot is held back and the last good one is served. */
  readonly holding: boolean;
  /** Milliseconds since the view was last confirmed by the registry (or saved to disk). */
  readonly ageMs: number;
  readonly lastError: Error | undefined;
  /** Why the last write of the snapshot file failed (undefined once a write succeeds, or without a file). */
  readonly snapshotFileError: Error | undefined;
}

/** Options of {@link Resolver}. */
export interface ResolverOptions {
  readonly registry: Registry;
  readonly service: string;
  readonly clock?: Clock;
  /** Randomness for backoff jitter, [0, 1). */
  readonly random?: () => number;
  /** Backoff before restarting a failed watch (default 100 ms doubling to 10 s, full jitter). */
  readonly backoff?: BackoffOptions;
  /** File that keeps the last good snapshot across restarts (optional). */
  readonly snapshotFile?: string;
  /**
   * Ride-through of registry faults (D50–D52): after a watch error, a watch restart, an index
   * that went backwards, or a cold start from the snapshot file, a snapshot that loses more than
   * `maxDrop` (default 0.5) of the usable instances at once is held back for up to `graceMs`
   * (default 5 s) while the last good list is served, stale; instances coming back end the hold
   * at once, a registry still saying so when the grace ends is believed. Removals seen on a
   * healthy watch are published at once. `false` turns it off.
   */
  readonly rideThrough?: RideThroughOption;
}

const RESOLVER_OPTIONS = {
  registry: v.withMethods<Registry>(['watch'], 'a Registry (connect(url), consulRegistry(), memoryRegistry())'),
  service: (value: unknown, path: string) => validateServiceName(value, path),
  clock: v.withDefault(v.clock, systemClock),
  random: v.withDefault(v.random, Math.random),
  backoff: v.backoff({ baseMs: 100, maxMs: 10_000 }),
  snapshotFile: v.optional(v.string(1, 4096, /^[^\0]*$/, 'a file path')),
  // Checked by rideThroughOption.
  rideThrough: v.any,
};

/** Watch-driven cache of one service. Starts watching on construction; `close()` stops it. */
export class Resolver {
  readonly service: string;
  readonly #registry: Registry;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #backoff: BackoffSettings;
  readonly #file: string | undefined;
  readonly #life = new AbortController();
  readonly #updates = new TypedEvent<ResolverUpdate>('resolver:update');
  readonly #waiters = new Set<(s: Snapshot | Error) => void>();
  /** Why no snapshot will ever come (registry or resolver closed before the first one). */
  #ended: Error | undefined;
  #fileError: Error | undefined;
  #snapshot: Snapshot | undefined;
  #source: SnapshotSource | undefined;
  #confirmedAt = 0;
  #stale = false;
  #lastError: Error | undefined;
  #saving: Promise<void> = Promise.resolve();
  readonly #ride: RideThrough;
  /** Newest registry snapshot held back by the ride-through rule, and its timer. */
  #held: Snapshot | undefined;
  #holdTimer: TimerHandle | undefined;
  /** Highest revision the registry sent: one lower means its history was reset. */
  #seenRevision = 0;

  constructor(options: ResolverOptions) {
    const o = v.options(options, RESOLVER_OPTIONS);
    this.service = o.service;
    this.#registry = o.registry;
    this.#clock = o.clock;
    this.#random = o.random;
    this.#backoff = o.backoff;
    this.#file = o.snapshotFile;
    this.#ride = new RideThrough(rideThroughOption(o.rideThrough, 'rideThrough'));
    void this.#run();
  }

  /** The newest snapshot, or undefined before the first one. Never waits. */
  current(): Snapshot | undefined {
    return this.#snapshot;
  }

  /** The view with its freshness. */
  state(): ResolverState {
    return {
      snapshot: this.#snapshot,
      source: this.#source,
      stale: this.#stale || this.#held !== undefined || this.#source === 'disk',
      holding: this.#held !== undefined,
      ageMs: this.#snapshot ? this.#clock.now() - this.#confirmedAt : 0,
      lastError: this.#lastError,
      snapshotFileError: this.#fileError,
    };
  }

  /** Resolves with the first snapshot (from the registry, or from the snapshot file). */
  ready(signal?: AbortSignal): Promise<Snapshot> {
    if (this.#snapshot) return Promise.resolve(this.#snapshot);
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      return Promise.reject(new InvalidArgumentError('signal', `must be an AbortSignal, got ${v.describe(signal)}`));
    }
    if (signal?.aborted) return Promise.reject(new AbortedError(signal.reason));
    if (this.#ended) return Promise.reject(this.#ended);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#waiters.delete(done);
        reject(new AbortedError(signal?.reason));
      };
      const done = (s: Snapshot | Error) => {
        signal?.removeEventListener('abort', onAbort);
        if (s instanceof Error) reject(s);
        else resolve(s);
      };
      this.#waiters.add(done);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Calls `listener` on every change (not with the current state); returns the unsubscriber.
   * A listener that throws is reported on the `roster:listener:error` channel; the Resolver and
   * the other listeners carry on.
   */
  subscribe(listener: (update: ResolverUpdate) => void): () => void {
    return this.#updates.subscribe(listener);
  }

  /** Stops watching. The last snapshot stays readable. */
  close(): void {
    this.#life.abort();
    this.#clearHold();
    this.#end(new ClosedError('resolver'));
  }

  /** No snapshot will come any more: pending and later `ready()` calls reject with `error`. */
  #end(error: unknown): void {
    this.#ended ??= error instanceof Error ? error : new ClosedError('registry');
    for (const waiter of this.#waiters) waiter(this.#ended);
    this.#waiters.clear();
  }

  get closed(): boolean {
    return this.#life.signal.aborted;
  }

  async #run(): Promise<void> {
    const signal = this.#life.signal;
    if (this.#file) {
      const saved = await loadSnapshot(this.#file, this.service);
      if (saved && !this.#snapshot) {
        this.#confirmedAt = saved.savedAt;
        this.#publish(saved.snapshot, 'disk');
        // The file exists for registry outages: its list is protected like one from before a fault.
        this.#ride.fault();
      }
    }
    // Every error but a closed registry is retried; a watch that ends is a failure too.
    const isFinal = (error: unknown) => isRosterError(error) && error.code === ErrorCode.Closed;
    const onError = (error: Error) => this.#failed(error);
    const onReset = () => this.#ride.fault();
    const onRecover = () => this.#recovered();
    const loop = { signal, clock: this.#clock, random: this.#random, backoff: this.#backoff, isFinal, onError };
    const end = await runWatchLoop(loop, async (healthy) => {
      const watch = this.#registry.watch(this.service, { signal, onError, onReset, onRecover });
      for await (const snapshot of watch) {
        healthy();
        this.#accept(snapshot);
      }
      if (!signal.aborted) throw new RegistryUnavailableError(`watch of ${this.service} ended`);
    });
    if (end !== undefined) this.#end(end.error);
  }

  #accept(snapshot: Snapshot): void {
    const now = this.#clock.now();
    this.#stale = false;
    this.#lastError = undefined;
    // A registry that does not keep the contract (revisions never go back) was reset: a fault.
    if (snapshot.revision < this.#seenRevision) this.#ride.fault();
    this.#seenRevision = snapshot.revision;
    const prev = this.#snapshot;
    if (prev && this.#source === 'registry' && snapshot.revision === prev.revision && !this.#held) {
      this.#confirmedAt = now;
      return;
    }
    const verdict = this.#ride.offer(prev, snapshot, now);
    if (verdict.action === 'hold') {
      this.#held = snapshot;
      if (this.#holdTimer === undefined) {
        this.#holdTimer = this.#clock.setTimeout(() => this.#expireHold(), Math.max(0, verdict.until - now));
      }
      return;
    }
    this.#clearHold();
    this.#commit(snapshot);
  }

  /** The grace of a held snapshot is over: the registry confirmed it. */
  #expireHold(): void {
    this.#holdTimer = undefined;
    const held = this.#held;
    if (!held || this.closed) return;
    if (!this.#ride.expire(this.#clock.now())) return;
    this.#held = undefined;
    this.#commit(held);
  }

  #clearHold(): void {
    if (this.#holdTimer !== undefined) this.#clock.clearTimeout(this.#holdTimer);
    this.#holdTimer = undefined;
    this.#held = undefined;
  }

  /** Publishes a registry snapshot and saves it to the snapshot file. */
  #commit(snapshot: Snapshot): void {
    this.#confirmedAt = this.#clock.now();
    this.#publish(snapshot, 'registry');
    if (this.#file) {
      const file = this.#file;
      const at = this.#confirmedAt;
      this.#saving = this.#saving
        .then(() => saveSnapshot(file, snapshot, at))
        .then(
          () => {
            this.#fileError = undefined;
          },
          (error: unknown) => {
            this.#fileError = error instanceof Error ? error : new Error(safeString(error));
            if (resolverErrorChannel.hasSubscribers) {
              resolverErrorChannel.publish({ service: this.service, error: this.#fileError, staleForMs: 0, snapshotFile: file });
            }
          },
        );
    }
  }

  #publish(snapshot: Snapshot, source: SnapshotSource): void {
    const diff = diffSnapshots(this.#snapshot, snapshot);
    const sourceChanged = this.#source !== source;
    this.#snapshot = snapshot;
    this.#source = source;
    for (const waiter of this.#waiters) waiter(snapshot);
    this.#waiters.clear();
    if (isEmptyDiff(diff) && !sourceChanged) return;
    const update: ResolverUpdate = { snapshot, diff, source };
    if (resolverUpdateChannel.hasSubscribers) {
      resolverUpdateChannel.publish({
        service: this.service,
        revision: snapshot.revision,
        instances: snapshot.instances.length,
        source,
        diff,
      });
    }
    this.#updates.emit(update);
  }

  /** The registry answers again after errors: the served view is confirmed (unless held back). */
  #recovered(): void {
    this.#stale = false;
    this.#lastError = undefined;
    if (!this.#held && this.#source === 'registry') this.#confirmedAt = this.#clock.now();
  }

  #failed(error: Error): void {
    this.#ride.fault();
    this.#lastError = error;
    if (!this.#stale) this.#stale = true;
    if (resolverErrorChannel.hasSubscribers) {
      resolverErrorChannel.publish({ service: this.service, error, staleForMs: this.#clock.now() - this.#confirmedAt });
    }
  }

  /** Resolves once pending snapshot-file writes are done: await it before exiting so the file is current. */
  flushed(): Promise<void> {
    return this.#saving;
  }
}
