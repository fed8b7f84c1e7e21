/** Typed differences between two snapshots of one service, by instance id. */
import * as v from '../internal/options.js';
import type { Instance, Snapshot } from '../model.js';

/** What changed from one snapshot to the next. */
export interface SnapshotDiff {
  readonly added: readonly Instance[];
  readonly removed: readonly Instance[];
  /** Same id, different fields (health, port, tags, ...). */
  readonly changed: readonly { readonly before: Instance; readonly after: Instance }[];
}

function sameInstance(a: Instance, b: Instance): boolean {
  return (
    a.address === b.address &&
    a.port === b.port &&
    a.health === b.health &&
    a.weight === b.weight &&
    a.zone === b.zone &&
    a.service === b.service &&
    a.tags.length === b.tags.length &&
    a.tags.every((t, i) => t === b.tags[i]) &&
    JSON.stringify(a.meta) === JSON.stringify(b.meta)
  );
}

/**
 * The diff from `before` (undefined = nothing known) to `after`.
 * @throws InvalidArgumentError naming `before`, `after` or the field of theirs that is not a Snapshot's.
 */
export function diffSnapshots(before: Snapshot | undefined, after: Snapshot): SnapshotDiff {
  v.optional(v.snapshot)(before, 'before');
  v.snapshot(after, 'after');
  const old = new Map((before?.instances ?? []).map((i) => [i.id, i]));
  const added: Instance[] = [];
  const changed: { before: Instance; after: Instance }[] = [];
  for (const inst of after.instances) {
    const prev = old.get(inst.id);
    if (!prev) added.push(inst);
    else if (!sameInstance(prev, inst)) changed.push({ before: prev, after: inst });
    old.delete(inst.id);
  }
  return { added, removed: [...old.values()], changed };
}

/** True when the diff has no change at all. */
export function isEmptyDiff(diff: SnapshotDiff): boolean {
  return diff.added.length === 0 && diff.removed.length === 0 && diff.changed.length === 0;
}
