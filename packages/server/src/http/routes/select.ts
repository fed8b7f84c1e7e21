/** Selection helpers shared by the catalog and health routes: tags and node meta (spec §2.7). */
import type { NodeInfo, InstanceRecord } from '../../catalog/types.js';
import { nodeMetaOf, tagsOf } from '../query.js';
import type { ApiRequest } from '../route.js';
import { nodeMeta } from '../shapes/node-shape.js';

/** The matcher of a request without `?tag`: every instance (callers may skip calling it). */
export const ANY_TAGS = (_s: InstanceRecord): boolean => true;

/** A predicate over instances for the repeated `?tag=` (all must match, case-insensitive). */
export function tagMatcher(req: ApiRequest): (s: InstanceRecord) => boolean {
  const wanted = tagsOf(req.query).map((t) => t.toLowerCase());
  if (wanted.length === 0) return ANY_TAGS;
  return (s) => {
    const have = new Set(s.tags.map((t) => t.toLowerCase()));
    return wanted.every((t) => have.has(t));
  };
}

/** True when the node satisfies every `?node-meta=key:value`. */
export function nodeMetaMatches(req: ApiRequest, node: NodeInfo): boolean {
  const pairs = nodeMetaOf(req.query);
  if (pairs.length === 0) return true;
  const meta = nodeMeta(node);
  return pairs.every(([k, v]) => meta[k] === v);
}
