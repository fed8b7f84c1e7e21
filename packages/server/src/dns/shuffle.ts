/** Orderings of DNS answers, with injected randomness. */

/**
 * Weighted random order without replacement (Efraimidis–Spirakis keys `u^(1/w)`): the chance of
 * an item coming first is proportional to its weight, so with a cap on the number of answers each
 * item appears in proportion to its weight. Items of weight 0 come last, in random order.
 * Returns a new array.
 */
export function weightedShuffle<T>(items: readonly T[], weight: (item: T) => number, random: () => number): T[] {
  const keyed = items.map((item) => {
    const w = weight(item);
    const u = random();
    return { item, key: w > 0 ? Math.log(u > 0 ? u : Number.MIN_VALUE) / w : -Infinity, tie: random() };
  });
  keyed.sort((a, b) => b.key - a.key || a.tie - b.tie);
  return keyed.map((k) => k.item);
}

/**
 * The items in a uniformly random order, drawn lazily (Fisher–Yates with the swaps kept in a map
 * instead of a copy of the array): a caller that stops after k items paid for k steps.
 */
export function* randomOrder<T>(items: readonly T[], random: () => number): Generator<T> {
  const n = items.length;
  /** Position → index of the item now there, for positions a swap has touched. */
  const moved = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (n - i));
    const atJ = moved.get(j) ?? j;
    moved.set(j, moved.get(i) ?? i);
    yield items[atJ]!;
  }
}
