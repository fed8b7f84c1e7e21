/**
 * A single-slot async channel: `push` replaces whatever the consumer has not taken yet, so a slow
 * consumer always gets the newest value, never a backlog (the watch contract).
 */
export class Latest<T> implements AsyncIterable<T> {
  #pending: { value: T } | undefined;
  #waiter: ((r: IteratorResult<T>) => void) | undefined;
  #failer: ((e: unknown) => void) | undefined;
  #done = false;
  #error: { error: unknown } | undefined;

  /** Offers a value; it replaces an untaken one. Ignored after `end`. */
  push(value: T): void {
    if (this.#done) return;
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      this.#failer = undefined;
      waiter({ value, done: false });
    } else {
      this.#pending = { value };
    }
  }

  /** Ends the iteration after the pending value (if any) is taken; with `error`, throws it then. */
  end(error?: unknown): void {
    if (this.#done) return;
    this.#done = true;
    if (error !== undefined) this.#error = { error };
    if (this.#waiter && !this.#pending) {
      const waiter = this.#waiter;
      const failer = this.#failer;
      this.#waiter = undefined;
      this.#failer = undefined;
      if (this.#error) failer?.(this.#error.error);
      else waiter({ value: undefined, done: true });
    }
  }

  get ended(): boolean {
    return this.#done;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#pending) {
      const { value } = this.#pending;
      this.#pending = undefined;
      return Promise.resolve({ value, done: false });
    }
    if (this.#done) {
      return this.#error ? Promise.reject(this.#error.error) : Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.#waiter = resolve;
      this.#failer = reject;
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => this.next(),
      return: () => {
        this.end();
        this.#pending = undefined;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
