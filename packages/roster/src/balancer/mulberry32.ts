/**
 * mulberry32: a tiny seeded PRNG (32-bit state, period 2^32). Not cryptographic. Used where
 * randomness must be reproducible: tests, benchmarks, simulations. Inject it as the `random`
 * option of a strategy.
 */

/**
 * Returns a function yielding uniform numbers in [0, 1), the same sequence for the same seed.
 * @param seed any integer (taken modulo 2^32)
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
