/**
 * A binary min-heap ordered by `before(a, b)` (true when `a` must come out first). The deadline
 * heaps of held queries (blocking/waiters.ts) and of TTL checks (checks/ttl-deadlines.ts): push and
 * pop in O(log n), no allocation but the array's growth.
 */
export class MinHeap<T> {
  readonly #before: (a: T, b: T) => boolean;
  #items: T[] = [];

  constructor(before: (a: T, b: T) => boolean) {
    this.#before = before;
  }

  /** Items held. */
  get size(): number {
    return this.#items.length;
  }

  /** The first item, or undefined when empty. */
  peek(): T | undefined {
    return this.#items[0];
  }

  push(item: T): void {
    const items = this.#items;
    let i = items.length;
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(item, items[parent]!)) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = item;
  }

  /** Removes and returns the first item, or undefined when empty. */
  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    const n = items.length;
    if (n > 0 && last !== undefined) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && this.#before(items[r]!, items[l]!) ? r : l;
        if (!this.#before(items[c]!, last)) break;
        items[i] = items[c]!;
        i = c;
      }
      items[i] = last;
    }
    return top;
  }

  /** Keeps only the items `keep` accepts (O(n log n); for compacting away stale entries). */
  retain(keep: (item: T) => boolean): void {
    this.reset(this.#items.filter(keep));
  }

  /** Replaces the contents with `items` (taken over, reordered). */
  reset(items: T[]): void {
    // A sorted array is a valid heap.
    this.#items = items.sort((a, b) => (this.#before(a, b) ? -1 : this.#before(b, a) ? 1 : 0));
  }
}
