/** Orderings of DNS answers, with injected randomness. */

/** Fisher–Yates shuffle in place; returns `items`. `random` gives numbers in [0, 1). */
export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = items[i]!;
    items[i] = items[j]!;
    items[j] = t;
  }
  return items;
}

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
