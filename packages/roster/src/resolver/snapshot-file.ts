/**
 * Last-known-good snapshots on disk, so a process that starts while the registry is down can
 * still find instances. Written atomically (temp file + rename); a corrupt file is ignored.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { makeDirectory } from '../internal/make-directory.js';
import type { Instance, Snapshot } from '../model.js';

const FORMAT = 1;

/** A snapshot as saved, with the time it was saved. */
export interface SavedSnapshot {
  readonly snapshot: Snapshot;
  readonly savedAt: number;
}

/** Writes `snapshot` to `path` atomically. */
export async function saveSnapshot(path: string, snapshot: Snapshot, savedAt: number): Promise<void> {
  await makeDirectory(dirname(path));
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify({ format: FORMAT, savedAt, snapshot }));
  await rename(tmp, path);
}

const isInstance = (v: unknown): v is Instance => {
  const i = v as Partial<Instance> | null;
  return (
    typeof i === 'object' &&
    i !== null &&
    typeof i.id === 'string' &&
    typeof i.address === 'string' &&
    typeof i.port === 'number' &&
    Array.isArray(i.tags) &&
    typeof i.meta === 'object' &&
    typeof i.weight === 'number' &&
    typeof i.zone === 'string' &&
    (i.health === 'passing' || i.health === 'warning' || i.health === 'critical')
  );
};

/** Reads a saved snapshot of `service`; undefined when absent, unreadable, or of another service. */
export async function loadSnapshot(path: string, service: string): Promise<SavedSnapshot | undefined> {
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const data = JSON.parse(raw) as { format?: unknown; savedAt?: unknown; snapshot?: Partial<Snapshot> };
    const s = data.snapshot;
    if (data.format !== FORMAT || typeof data.savedAt !== 'number' || !s || s.service !== service) return undefined;
    if (typeof s.revision !== 'number' || !Array.isArray(s.instances) || !s.instances.every(isInstance)) return undefined;
    return { savedAt: data.savedAt, snapshot: { service, revision: s.revision, instances: s.instances } };
  } catch {
    return undefined;
  }
}
