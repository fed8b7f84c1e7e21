/**
 * mulberry32: a tiny seeded PRNG (32-bit state, period 2^32). Not cryptographic. Used where
 * randomness must be reproducible (tests, benchmarks, simulations) and as the balancers' default
 * source, seeded from the OS: unlike `Math.random` on Node 20, a call that the JIT inlines
 * allocates nothing (the state lives in a typed array, not in a boxed closure variable).
 */
import { InvalidArgumentError } from '../errors.js';

/**
 * Returns a function yielding uniform numbers in [0, 1), the same sequence for the same seed.
 * @param seed any integer (taken modulo 2^32)
 */
export function mulberry32(seed: number): () => number {
  if (typeof seed !== 'number') throw new InvalidArgumentError('seed', 'must be a number');
  const state = new Int32Array([seed | 0]);
  return () => {
    const s = (state[0]! + 0x6d2b79f5) | 0;
    state[0] = s;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
