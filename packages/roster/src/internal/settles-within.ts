/** Waiting for a promise at most so long, on an injected clock (the drainers' time limits). */
import type { Clock, TimerHandle } from '../clock.js';

/** True when `promise` settles (either way) within `ms` on `clock`; false at the time limit. */
export function settlesWithin(promise: Promise<unknown>, ms: number, clock: Clock): Promise<boolean> {
  return new Promise((resolve) => {
    let timer: TimerHandle | undefined = clock.setTimeout(() => {
      timer = undefined;
      resolve(false);
    }, ms);
    const settled = () => {
      if (timer !== undefined) clock.clearTimeout(timer);
      resolve(true);
    };
    void promise.then(settled, settled);
  });
}
