// Closed-loop load: `concurrency` workers, each issuing one operation at a time, until `count`
// operations were issued or `timeMs` passed (whichever comes first).
import { performance } from 'node:perf_hooks';

/**
 * Runs `op(i, worker)` with `concurrency` workers. Returns how many completed, the elapsed time,
 * the rate per second and (with `latencies`) each latency in ms. The first failing operation
 * stops every worker and is rethrown: a benchmark must not count errors as work.
 */
export async function closedLoop({ concurrency, count, timeMs, op, latencies = false }) {
  let issued = 0;
  let done = 0;
  let failure;
  const lat = latencies ? [] : undefined;
  const t0 = performance.now();
  const deadline = t0 + timeMs;
  const worker = async (w) => {
    while (failure === undefined && issued < count && performance.now() < deadline) {
      const i = issued++;
      const s = latencies ? performance.now() : 0;
      try {
        await op(i, w);
      } catch (error) {
        failure ??= error;
        return;
      }
      if (lat) lat.push(performance.now() - s);
      done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  const elapsedMs = performance.now() - t0;
  if (failure !== undefined) throw failure;
  return { done, elapsedMs, perSecond: (done * 1000) / elapsedMs, latencies: lat, timedOut: done < count };
}

/** Runs `fn(item)` for every item with at most `limit` in flight; bounded by `timeMs`. Returns how many completed. */
export async function forEachLimited(items, limit, timeMs, fn) {
  const r = await closedLoop({ concurrency: limit, count: items.length, timeMs, op: (i) => fn(items[i], i) });
  return r.done;
}
