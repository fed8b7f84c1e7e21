/**
 * The watch of one service on etcd: list the service's keys, then a prefix watch from the listed
 * revision + 1. The loop keeps the service's state and the revision of the last event it applied;
 * after a disconnect it watches again from that revision + 1 (on whichever member answers), so
 * no change is missed or applied twice. When etcd has compacted that revision away, or the store
 * went back in time (restored empty), it lists again. Every change yields a full snapshot into a
 * Latest channel: a slow consumer gets the newest state.
 */
import type { Clock } from '../../clock.js';
import { RegistryUnavailableError } from '../../errors.js';
import type { BackoffSettings } from '../../internal/backoff.js';
import type { Latest } from '../../internal/latest.js';
import { feedWatch } from '../../internal/watch-loop.js';
import { byId, type Instance, type Snapshot } from '../../model.js';
import { decodeInstanceValue, parseInstanceKey, prefixRangeEnd, servicePrefix } from './etcd-codec.js';
import { type EtcdConnection, type EtcdKv, headerRevision, toKv, type WatchStream } from './etcd-connection.js';

/** What a watch loop needs. */
export interface ServiceWatchOptions {
  readonly conn: EtcdConnection;
  readonly prefix: string;
  readonly service: string;
  readonly clock: Clock;
  readonly random: () => number;
  readonly backoff: BackoffSettings;
  /** Told about each transient error the loop retries (see `WatchOptions.onError`). */
  readonly onError?: ((error: Error) => void) | undefined;
  /** Told when the store went back in time (see `WatchOptions.onReset`). */
  readonly onReset?: (() => void) | undefined;
  /** Told when the watch is open again after retried errors (see `WatchOptions.onRecover`). */
  readonly onRecover?: (() => void) | undefined;
}

interface Entry {
  readonly raw: string;
  readonly instance: Instance | undefined;
}

/** Why a watch stream stopped without an error. */
type StreamEnd = 'relist' | 'aborted';

/** Decodes the keys of a service into its instances (undecodable values are skipped). */
export function decodeService(prefix: string, kvs: readonly EtcdKv[]): Instance[] {
  const out: Instance[] = [];
  for (const kv of kvs) {
    const parsed = parseInstanceKey(prefix, kv.key);
    const instance = parsed && decodeInstanceValue(parsed.service, parsed.id, kv.value);
    if (instance) out.push(instance);
  }
  return out.sort(byId);
}

/** Index of the instance with `id` in `sorted` (sorted by id), or -1. */
function indexById(sorted: readonly Instance[], id: string): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const at = (sorted[mid] as Instance).id;
    if (at === id) return mid;
    if (at < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Runs the watch until `signal` aborts (then ends the channel) or a non-retryable error (ends it with the error). */
export async function runServiceWatch(options: ServiceWatchOptions, channel: Latest<Snapshot>, signal: AbortSignal): Promise<void> {
  const { conn, prefix, service } = options;
  const keyPrefix = Buffer.from(servicePrefix(prefix, service));
  const rangeEnd = prefixRangeEnd(keyPrefix);
  const state = new Map<string, Entry>();
  let applied = 0; // etcd revision of the last list or event applied
  let delivered = 0; // revision of the last snapshot pushed
  let offset = 0; // added to etcd revisions once the store went back in time, so ours keep increasing
  let needList = true;

  const entry = (kv: EtcdKv): Entry => {
    const parsed = parseInstanceKey(prefix, kv.key);
    return { raw: kv.value, instance: parsed && decodeInstanceValue(parsed.service, parsed.id, kv.value) };
  };
  // The instances sorted by id, as last published; rebuilt only when the set of ids changed
  // (an update of one instance, the common change, replaces it in a copy).
  let sorted: Instance[] = [];
  let dirty = true;
  const update = (before: Entry | undefined, after: Entry | undefined) => {
    if (dirty || !before?.instance || !after?.instance) {
      dirty = true;
      return;
    }
    const i = indexById(sorted, before.instance.id);
    if (i < 0) dirty = true;
    else {
      sorted = sorted.slice();
      sorted[i] = after.instance;
    }
  };
  const publish = (etcdRevision: number) => {
    let revision = etcdRevision + offset;
    if (revision <= delivered) {
      offset += delivered - revision + 1;
      revision = delivered + 1;
    }
    delivered = revision;
    if (dirty) {
      sorted = [];
      for (const e of state.values()) if (e.instance) sorted.push(e.instance);
      sorted.sort(byId);
      dirty = false;
    }
    channel.push({ service, instances: sorted, revision });
  };

  const list = async () => {
    const res = await conn.range(`list ${service}`, keyPrefix, { end: rangeEnd }, signal);
    let changed = res.kvs.length !== state.size;
    const next = new Map<string, Entry>();
    for (const kv of res.kvs) {
      if (state.get(kv.key)?.raw !== kv.value) changed = true;
      next.set(kv.key, entry(kv));
    }
    state.clear();
    for (const [k, v] of next) state.set(k, v);
    dirty = true;
    if (changed || delivered === 0) publish(res.revision);
    applied = res.revision;
    needList = false;
  };

  // `healthy` resets the loop's backoff once etcd confirmed the watch.
  const follow = (stream: WatchStream, healthy: () => void): Promise<StreamEnd> =>
    new Promise<StreamEnd>((resolve, reject) => {
      let settled = false;
      const finish = (end: StreamEnd | Error) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        stream.cancel?.();
        if (end instanceof Error) reject(end);
        else resolve(end);
      };
      const onAbort = () => finish('aborted');
      if (signal.aborted) {
        finish('aborted');
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      stream.on('data', (res) => {
        if (settled) return;
        if (res.canceled) {
          // Compacted: the revision we would resume from is gone, only a new list can catch up.
          if (Number(res.compact_revision) > 0) finish('relist');
          else finish(conn.toRosterError(new Error(res.cancel_reason || 'watch canceled by etcd'), `watch ${service}`));
          return;
        }
        if (res.created) {
          healthy();
          // A member behind us is normal (it catches up); a cluster behind us is a restored store.
          if (headerRevision(res.header) < applied) {
            conn.range(`check revision of ${service}`, keyPrefix, { end: rangeEnd, countOnly: true }, signal).then(
              (r) => {
                if (r.revision >= applied) return;
                try {
                  options.onReset?.();
                } catch {
                  // A listener's throw must not end the watch.
                }
                finish('relist');
              },
              () => {},
            );
          }
          return;
        }
        const from = applied;
        let changed = false;
        for (const event of res.events) {
          const kv = toKv(event.kv);
          if (kv.modRevision <= from) continue; // already applied before a reconnect
          applied = Math.max(applied, kv.modRevision);
          const before = state.get(kv.key);
          if (String(event.type).toUpperCase() === 'DELETE') {
            if (before) {
              state.delete(kv.key);
              update(before, undefined);
              changed = true;
            }
          } else if (before?.raw !== kv.value) {
            const after = entry(kv);
            state.set(kv.key, after);
            update(before, after);
            changed = true;
          }
        }
        if (changed) publish(applied);
      });
      stream.on('error', (error: Error) => finish(conn.toRosterError(error, `watch ${service}`)));
      stream.on('end', () => finish(new RegistryUnavailableError(`watch ${service}: stream ended`)));
      stream.write({
        create_request: { key: keyPrefix, range_end: rangeEnd, start_revision: applied + 1, prev_kv: false, progress_notify: false },
      });
    });

  const { clock, random, backoff, onError, onRecover } = options;
  await feedWatch(channel, { signal, clock, random, backoff, onError, onRecover }, async (healthy) => {
    if (needList) await list();
    const stream = await conn.openWatch(signal);
    if ((await follow(stream, healthy)) === 'relist') needList = true;
  });
}
