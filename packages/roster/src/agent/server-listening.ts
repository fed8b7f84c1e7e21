/**
 * ServerListening: notices when the announced HTTP server stops listening — closed, or failed
 * with an `'error'` event — so the announcement reports `critical` instead of heartbeating a
 * zombie. Node's `'close'` event waits for every connection to end, so the server's `listening`
 * flag is also read on a timer (once per heartbeat); errors are observed through
 * `errorMonitor`, which leaves the application's own error handling (or Node's crash) as it is.
 */
import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../clock.js';
import type { HttpServer } from './server-drainer.js';

/** Options of {@link ServerListening}. */
export interface ServerListeningOptions {
  readonly server: HttpServer;
  readonly clock: Clock;
  /** How often to read `server.listening` (the heartbeat period), ms. */
  readonly everyMs: number;
  /** Told when the server stops (`false`, with the error when one was emitted) or starts again listening (`true`). */
  readonly onChange: (listening: boolean, error: Error | undefined) => void;
}

/**
 * Watches `server.listening`. Until the server was first seen listening nothing is reported
 * (announcing before `listen()` is fine), except an `'error'` while it is not listening (a
 * failed `listen()`: the process serves nothing).
 */
export class ServerListening {
  readonly #o: ServerListeningOptions;
  #armed: boolean;
  #reported = true;
  #timer: TimerHandle | undefined;
  #stopped = false;
  readonly #onListening = () => this.#check(undefined);
  readonly #onClose = () => this.#check(undefined);
  readonly #onError = (error: Error) => this.#check(error);

  constructor(options: ServerListeningOptions) {
    this.#o = options;
    const { server } = options;
    this.#armed = server.listening;
    server.on('listening', this.#onListening);
    server.on('close', this.#onClose);
    (server as EventEmitter).on(EventEmitter.errorMonitor, this.#onError);
    this.#schedule();
  }

  /** Stops watching (removes the listeners and the timer). Idempotent. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    const { server, clock } = this.#o;
    server.off('listening', this.#onListening);
    server.off('close', this.#onClose);
    (server as EventEmitter).off(EventEmitter.errorMonitor, this.#onError);
    if (this.#timer !== undefined) clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    this.#timer = this.#o.clock.setTimeout(() => {
      this.#timer = undefined;
      if (this.#stopped) return;
      this.#check(undefined);
      this.#schedule();
    }, this.#o.everyMs);
  }

  #check(error: Error | undefined): void {
    if (this.#stopped) return;
    const listening = this.#o.server.listening;
    if (listening) this.#armed = true;
    if (!this.#armed && error === undefined) return;
    if (listening === this.#reported) return;
    this.#reported = listening;
    this.#o.onChange(listening, error);
  }
}
