/**
 * TypedEvent: the one listener primitive every roster emitter uses (Resolver, Lease, Balancer,
 * Announcement, roster serve's event stream). Subscribing returns the function that
 * unsubscribes; each listener is isolated: a throw is reported on the `roster:listener:error`
 * diagnostics channel (and to the owner's `onListenerError`, when given) and never reaches the
 * emitter or the other listeners.
 */
import { listenerErrorChannel } from '../diagnostics.js';
import { InvalidArgumentError } from '../errors.js';
import { safeString } from './safe-string.js';

/** A listener of a {@link TypedEvent}. */
export type Listener<T> = (value: T) => void;

/** Options of {@link TypedEvent}. */
export interface TypedEventOptions {
  /** Also told about each listener's throw (e.g. to log it); it must not throw itself. */
  readonly onListenerError?: (error: unknown) => void;
}

/** What the `roster:listener:error` channel carries. */
export interface ListenerErrorMessage {
  /** The emitter's name, e.g. `resolver:update`. */
  readonly event: string;
  /** What the listener threw. */
  readonly error: unknown;
}

/**
 * A typed, synchronous event. `emit` calls the listeners subscribed at that moment, in
 * subscription order; a listener added or removed during an emit takes effect from the next one.
 * When a listener throws and nobody subscribes to the diagnostics channel and no
 * `onListenerError` was given, the error becomes a process warning, so a bug is never silent
 * (and never an uncaught exception).
 */
export class TypedEvent<T> {
  /** The emitter's name, as reported with a listener's error. */
  readonly name: string;
  readonly #onListenerError: ((error: unknown) => void) | undefined;
  // Copy on write: emit iterates the array it started with, without copying per emit.
  #listeners: readonly Listener<T>[] = [];

  constructor(name: string, options: TypedEventOptions = {}) {
    if (typeof name !== 'string') throw new InvalidArgumentError('name', 'must be a string');
    if (options !== undefined && (typeof options !== 'object' || options === null))
      throw new InvalidArgumentError('options', 'must be an object');
    const onListenerError = options?.onListenerError;
    if (onListenerError !== undefined && typeof onListenerError !== 'function') {
      throw new InvalidArgumentError('options.onListenerError', 'must be a function');
    }
    this.name = name;
    this.#onListenerError = onListenerError;
  }

  /**
   * Adds `listener`; returns the function that removes it (idempotent). The same function
   * subscribed twice is called twice, and each disposer removes one subscription.
   * @throws InvalidArgumentError when `listener` is not a function.
   */
  subscribe(listener: Listener<T>): () => void {
    if (typeof listener !== 'function') throw new InvalidArgumentError('listener', 'must be a function');
    const entry: Listener<T> = (value) => listener(value);
    this.#listeners = [...this.#listeners, entry];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== entry);
    };
  }

  /** Calls every listener with `value`. Never throws. */
  emit(value: T): void {
    for (const listener of this.#listeners) {
      try {
        listener(value);
      } catch (error) {
        this.#report(error);
      }
    }
  }

  /** Number of subscriptions. */
  get size(): number {
    return this.#listeners.length;
  }

  /** Removes every listener. */
  clear(): void {
    this.#listeners = [];
  }

  #report(error: unknown): void {
    const observed = listenerErrorChannel.hasSubscribers || this.#onListenerError !== undefined;
    try {
      if (listenerErrorChannel.hasSubscribers) listenerErrorChannel.publish({ event: this.name, error } satisfies ListenerErrorMessage);
      this.#onListenerError?.(error);
    } catch {
      // A reporter that throws is as isolated as a listener.
    }
    if (!observed) {
      const text = error instanceof Error ? (error.stack ?? error.message) : safeString(error);
      process.emitWarning(`a ${this.name} listener threw: ${text}`, { type: 'RosterListenerError' });
    }
  }
}
