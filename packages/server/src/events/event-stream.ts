/**
 * The in-process event stream: typed listeners, no string-keyed emitter. A listener that throws
 * is reported and does not stop the others; a listener must not block (it runs inside the
 * commit's follow-up, synchronously).
 */
import type { RosterEvent } from './roster-event.js';

/** Receives events in commit order. */
export type EventListener = (event: RosterEvent) => void;

/** Publish/subscribe of {@link RosterEvent}s. */
export class EventStream {
  readonly #listeners = new Set<EventListener>();
  readonly #onListenerError: (error: unknown) => void;

  constructor(onListenerError: (error: unknown) => void = () => {}) {
    this.#onListenerError = onListenerError;
  }

  /** Subscribes; returns the function that unsubscribes. */
  subscribe(listener: EventListener): () => void {
    // A wrapper so the same function can subscribe twice and unsubscribe each independently.
    const entry: EventListener = (e) => listener(e);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  /** Number of subscribers. */
  get size(): number {
    return this.#listeners.size;
  }

  /** Delivers one event to every subscriber. */
  publish(event: RosterEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#onListenerError(error);
      }
    }
  }
}
