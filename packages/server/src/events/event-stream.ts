/**
 * The in-process event stream: roster's listener primitive (`TypedEvent`) carrying
 * {@link RosterEvent}s. A listener that throws is reported (on the `roster:listener:error`
 * diagnostics channel and to `onListenerError`) and does not stop the others or the commit; a
 * listener must not block (it runs inside the commit's follow-up, synchronously).
 */
import { TypedEvent } from '@rosterjs/roster';
import type { RosterEvent } from './roster-event.js';

/** Receives events in commit order. */
export type EventListener = (event: RosterEvent) => void;

/** Publish/subscribe of {@link RosterEvent}s. */
export class EventStream {
  readonly #event: TypedEvent<RosterEvent>;

  /** @param onListenerError told about each listener's throw (the server logs it). */
  constructor(onListenerError: (error: unknown) => void = () => {}) {
    this.#event = new TypedEvent<RosterEvent>('server:events', { onListenerError });
  }

  /** Subscribes; returns the function that unsubscribes (the same function may subscribe twice). */
  subscribe(listener: EventListener): () => void {
    return this.#event.subscribe(listener);
  }

  /** Number of subscribers. */
  get size(): number {
    return this.#event.size;
  }

  /** Delivers one event to every subscriber. Never throws. */
  publish(event: RosterEvent): void {
    this.#event.emit(event);
  }
}
