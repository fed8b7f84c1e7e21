/**
 * A fast, allocation-free 32-bit string hash for consistent hashing: FNV-1a over the UTF-16 code
 * units, then murmur3's finalizer so that similar keys (`user-1`, `user-2`) land far apart.
 * Not cryptographic; stable across processes and versions (changing it would move every key).
 */

/** murmur3's 32-bit finalizer: a bijection with full avalanche. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hash of `text` as an unsigned 32-bit integer; `seed` gives independent hash functions. */
export function hash32(text: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
}
