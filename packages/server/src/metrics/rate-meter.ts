/**
 * Events per second over a sliding window of whole seconds (the registry view's TTL renewals
 * per second). Constant memory: one counter per second of the window.
 */

/** Counts marks per second over the last `windowSeconds` complete seconds. */
export class RateMeter {
  readonly #now: () => number;
  readonly #counts: number[];
  #second = 0;

  /**
   * @param now the clock (ms).
   * @param windowSeconds length of the window, 1-60; default 10.
   */
  constructor(now: () => number, windowSeconds = 10) {
    this.#now = now;
    this.#counts = new Array<number>(windowSeconds + 1).fill(0);
    this.#second = Math.floor(now() / 1000);
  }

  /** Records one event now. */
  mark(): void {
    this.#advance();
    this.#counts[this.#second % this.#counts.length]! += 1;
  }

  /** Events per second, averaged over the complete seconds of the window. */
  perSecond(): number {
    this.#advance();
    const slots = this.#counts.length;
    let sum = 0;
    for (let i = 1; i < slots; i++) sum += this.#counts[(this.#second - i + slots * 2) % slots]!;
    return sum / (slots - 1);
  }

  #advance(): void {
    const second = Math.floor(this.#now() / 1000);
    const slots = this.#counts.length;
    if (second <= this.#second) return;
    for (let s = this.#second + 1; s <= Math.min(second, this.#second + slots); s++) this.#counts[s % slots] = 0;
    this.#second = second;
  }
}
