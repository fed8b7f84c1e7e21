/**
 * The AsyncIterable a backend's `watch()` returns: each iteration gets its own `Latest` channel
 * and an AbortSignal that fires when the caller aborts, breaks out of the loop (`return()`), or the
 * registry closes; `start` runs the backend's watch loop into the channel until that signal fires.
 */
import type { Snapshot } from '../model.js';
import { Latest } from './latest.js';

/** Builds a watch iterable over a backend loop. */
export function watchIterable(
  signals: readonly (AbortSignal | undefined)[],
  start: (channel: Latest<Snapshot>, signal: AbortSignal) => void,
): AsyncIterable<Snapshot> {
  return {
    [Symbol.asyncIterator]: () => {
      const channel = new Latest<Snapshot>();
      const stop = new AbortController();
      const signal = AbortSignal.any([stop.signal, ...signals.filter((s): s is AbortSignal => s !== undefined)]);
      if (signal.aborted) channel.end();
      else start(channel, signal);
      const inner = channel[Symbol.asyncIterator]();
      return {
        next: () => inner.next(),
        return: () => {
          stop.abort();
          return inner.return?.() ?? Promise.resolve({ value: undefined, done: true });
        },
      };
    },
  };
}
