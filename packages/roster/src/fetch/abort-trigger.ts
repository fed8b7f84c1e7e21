/**
 * AbortTrigger: the cheapest abort source undici accepts (its `signal` option takes an
 * EventEmitter with `aborted` and `reason`). Creating an `AbortController` and reading its
 * signal costs microseconds on Node 20, a noticeable share of a loopback request; this costs
 * nanoseconds. Internal to fetch/.
 */
import { EventEmitter } from 'node:events';

/** An abort source for one undici request: `abort(reason)` once, undici listens for `'abort'`. */
export class AbortTrigger extends EventEmitter {
  /** True once {@link abort} was called. */
  aborted = false;
  /** The error the request fails with. */
  reason: unknown = undefined;

  /** Aborts the request with `reason`; later calls are ignored. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.emit('abort');
  }
}
