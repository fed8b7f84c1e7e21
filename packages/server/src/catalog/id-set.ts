/**
 * Small sets of IDs kept in a map: most keys hold one ID (an instance with one check), and a
 * one-element `Set` costs ~150 B of heap where the ID string alone costs nothing extra. So a key
 * holds its ID as a plain string until a second one comes, then a `Set`; back to a string when
 * one is left.
 */

/** One ID or several. */
export type IdSet = string | Set<string>;

/** Adds `id` to the set under `key`. */
export function addId(map: Map<string, IdSet>, key: string, id: string): void {
  const cur = map.get(key);
  if (cur === undefined) map.set(key, id);
  else if (typeof cur === 'string') {
    if (cur !== id) map.set(key, new Set([cur, id]));
  } else cur.add(id);
}

/** Removes `id` from the set under `key` (the key goes when its set is empty). */
export function removeId(map: Map<string, IdSet>, key: string, id: string): void {
  const cur = map.get(key);
  if (cur === undefined) return;
  if (typeof cur === 'string') {
    if (cur === id) map.delete(key);
    return;
  }
  cur.delete(id);
  if (cur.size === 1) map.set(key, cur.values().next().value as string);
  else if (cur.size === 0) map.delete(key);
}

/** The IDs under `key` (none when absent). */
export function idsOf(map: Map<string, IdSet>, key: string): Iterable<string> {
  const cur = map.get(key);
  if (cur === undefined) return [];
  return typeof cur === 'string' ? [cur] : cur;
}
