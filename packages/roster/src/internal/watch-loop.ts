/**
 * The one retrying watch loop: an attempt runs until it fails or ends, and the loop starts the
 * next one — at once after a normal end, after a jittered backoff after a failure — until the
 * signal aborts or an error is final. The Consul and etcd backends and the Resolver each supply
 * only their attempt; the retry policy, the backoff reset and the `onError` reports live here.
 */
import { type Clock, sleep } from '../clock.js';
import { isRosterError } from '../errors.js';
import { type BackoffSettings, backoffDelay } from './backoff.js';
import type { Latest } from './latest.js';
import { TypedEvent } from './typed-event.js';
import { safeString } from './safe-string.js';

/** Options of {@link runWatchLoop}. */
export interface WatchLoopOptions {
  /** Ends the loop (the attempt in flight gets it too and should stop). */
  readonly signal: AbortSignal;
  readonly clock: Clock;
  /** Randomness for the backoff jitter, [0, 1). */
  readonly random: () => number;
  readonly backoff: BackoffSettings;
  /** Told about each error the loop retries; a throw here is isolated like any listener's. */
  readonly onError?: ((error: Error) => void) | undefined;
  /** Errors that end the loop instead of being retried. Default: roster errors that are not retryable. */
  readonly isFinal?: (error: unknown) => boolean;
  /**
   * Told when an attempt makes progress (`healthy()`) after retried errors: the registry answers
   * again. Isolated like `onError`.
   */
  readonly onRecover?: (() => void) | undefined;
}

/**
 * One attempt of a watch. It calls `healthy()` once it made progress (a response, an open
 * stream), which resets the backoff; it resolves when it ended normally and throws when it failed.
 */
export type WatchAttempt = (healthy: () => void) => Promise<void>;

/** Why {@link runWatchLoop} stopped: `undefined` when the signal aborted, else the final error. */
export type WatchLoopEnd = { readonly error: unknown } | undefined;

const nonRetryable = (error: unknown): boolean => isRosterError(error) && !error.retryable;

/** Runs `attempt` again and again (see the file comment). Never throws. */
export async function runWatchLoop(options: WatchLoopOptions, attempt: WatchAttempt): Promise<WatchLoopEnd> {
  const { signal } = options;
  const isFinal = options.isFinal ?? nonRetryable;
  const errors = new TypedEvent<Error>('watch:error');
  if (options.onError) errors.subscribe(options.onError);
  const recovered = new TypedEvent<void>('watch:recover');
  if (options.onRecover) recovered.subscribe(options.onRecover);
  let failures = 0;
  const healthy = () => {
    if (failures === 0) return;
    failures = 0;
    recovered.emit(undefined);
  };
  while (!signal.aborted) {
    try {
      await attempt(healthy);
    } catch (error) {
      if (signal.aborted) break;
      if (isFinal(error)) return { error };
      errors.emit(error instanceof Error ? error : new Error(safeString(error)));
      await sleep(options.clock, backoffDelay(failures++, options.backoff, options.random), signal).catch(() => {});
    }
  }
  return undefined;
}

/**
 * A backend's watch: runs the loop into `channel`, which ends as soon as the signal aborts
 * (whatever the attempt is waiting for), or with the final error.
 */
export async function feedWatch<T>(channel: Latest<T>, options: WatchLoopOptions, attempt: WatchAttempt): Promise<void> {
  const { signal } = options;
  const endOnAbort = () => channel.end();
  signal.addEventListener('abort', endOnAbort, { once: true });
  try {
    const end = await runWatchLoop(options, attempt);
    channel.end(end?.error);
  } finally {
    signal.removeEventListener('abort', endOnAbort);
    channel.end();
  }
}
