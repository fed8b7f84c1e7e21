/**
 * A bounded open-loop load for the end-to-end tests (fetch, faults, gRPC): `perSecond` calls a
 * second of whatever `call` does, where a slow call does not slow the rate, until `stop()`,
 * `maxMs` or `maxCalls`, whichever comes first.
 */
import { performance } from 'node:perf_hooks';

/** Options of {@link startPacedLoad}. */
export interface PacedLoadOptions<T> {
  /** Calls started per second (> 0). */
  readonly perSecond: number;
  /** One call; `i` counts from 0. A rejection is a failure. */
  readonly call: (i: number) => Promise<T>;
  /** No call is started after this many ms. */
  readonly maxMs: number;
  /** No more calls than this are started. Default unbounded (then `maxMs` bounds it). */
  readonly maxCalls?: number;
  /** The reason a call that resolved with `value` counts as failed, or undefined when it did not. */
  readonly failureOf?: (value: T) => string | undefined;
  /** How a rejection is written in `failures`. Default `<name>: <message>`. */
  readonly describe?: (error: unknown) => string;
}

/** What a load did. */
export interface PacedLoadResult {
  /** Calls started. */
  readonly calls: number;
  /** One reason per failed call. */
  readonly failures: readonly string[];
}

/** A running load (see {@link startPacedLoad}). */
export interface PacedLoad {
  /** Calls started so far. */
  readonly started: number;
  /** Calls that failed so far. */
  readonly failed: number;
  /** Stops starting calls now, waits for those in flight, and reports. */
  stop(): Promise<PacedLoadResult>;
  /** Waits until `maxCalls` were started (or `maxMs` passed), then as {@link stop}. */
  finish(): Promise<PacedLoadResult>;
}

const describeError = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : `rejected with ${String(error)}`;

/**
 * Starts the load. A timer ticks at half the call interval (at least 1 ms) and starts every call
 * that is due by then, so timer lag is caught up rather than lowering the rate.
 */
export function startPacedLoad<T>(options: PacedLoadOptions<T>): PacedLoad {
  const { perSecond, call, maxMs, maxCalls = Number.POSITIVE_INFINITY } = options;
  if (!(perSecond > 0) || !(maxMs > 0)) throw new RangeError(`startPacedLoad: perSecond and maxMs must be > 0`);
  const failureOf = options.failureOf ?? (() => undefined);
  const describe = options.describe ?? describeError;
  const intervalMs = 1000 / perSecond;
  const start = performance.now();
  const pending = new Set<Promise<void>>();
  const failures: string[] = [];
  let started = 0;
  const launch = () => {
    const i = started++;
    const p = call(i).then(
      (value) => {
        const reason = failureOf(value);
        if (reason !== undefined) failures.push(reason);
      },
      (error: unknown) => {
        failures.push(describe(error));
      },
    );
    const tracked = p.finally(() => pending.delete(tracked));
    pending.add(tracked);
  };
  const timer = setInterval(
    () => {
      const elapsed = performance.now() - start;
      const due = Math.min(maxCalls, Math.floor(elapsed / intervalMs) + 1);
      while (started < due) launch();
      if (elapsed >= maxMs || started >= maxCalls) clearInterval(timer);
    },
    Math.max(1, Math.floor(intervalMs / 2)),
  );
  const stop = async (): Promise<PacedLoadResult> => {
    clearInterval(timer);
    while (pending.size > 0) await Promise.all([...pending]);
    return { calls: started, failures };
  };
  return {
    get started() {
      return started;
    },
    get failed() {
      return failures.length;
    },
    stop,
    async finish() {
      while (started < maxCalls && performance.now() - start < maxMs) await new Promise((resolve) => setTimeout(resolve, 50));
      return stop();
    },
  };
}
