/**
 * The Resolver with its ride-through rule, on a fake clock, over a watch the test drives: it
 * pushes snapshots and reports errors and resets the way a backend does.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError, RegistryUnavailableError } from '../errors.js';
import { Latest } from '../internal/latest.js';
import type { Snapshot } from '../model.js';
import { memoryRegistry } from '../registry/memory.js';
import type { Registry, WatchOptions } from '../registry/registry.js';
import { FakeClock } from '../testing/fake-clock.js';
import { Resolver, type ResolverOptions, type ResolverUpdate } from './resolver.js';
import { saveSnapshot } from './snapshot-file.js';

const snap = (revision: number, ids: string, health: 'passing' | 'critical' = 'passing'): Snapshot => ({
  service: 'orders',
  revision,
  instances: ids
    .split(' ')
    .filter(Boolean)
    .map((id) => ({ id, service: 'orders', address: '127.0.0.1', port: 80, tags: [], meta: {}, weight: 1, zone: '', health })),
});

/** A registry whose single watch the test feeds. */
function drivenWatch() {
  const channel = new Latest<Snapshot>();
  let options: WatchOptions = {};
  const inner = memoryRegistry();
  const registry: Registry = {
    capabilities: { backend: 'fake', checkKinds: [] },
    register: (r, o) => inner.register(r, o),
    deregister: (s, i, o) => inner.deregister(s, i, o),
    list: (s, o) => inner.list(s, o),
    services: (o) => inner.services(o),
    close: () => inner.close(),
    watch: (_s, o = {}) => {
      options = o;
      return channel;
    },
  };
  return {
    registry,
    push: (s: Snapshot) => channel.push(s),
    error: () => options.onError?.(new RegistryUnavailableError('connection refused (test)')),
    reset: () => options.onReset?.(),
    recover: () => options.onRecover?.(),
  };
}

const ids = (s: Snapshot | undefined) => s?.instances.map((i) => i.id).join(' ');
/** Lets the Resolver's loop take what was pushed. */
const settle = () => new Promise((r) => setTimeout(r, 5));

const resolvers: Resolver[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const r of resolvers.splice(0)) r.close();
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

function start(extra: Partial<ResolverOptions> = {}) {
  const clock = new FakeClock();
  const watch = drivenWatch();
  const resolver = new Resolver({ registry: watch.registry, service: 'orders', clock, ...extra });
  resolvers.push(resolver);
  const updates: string[] = [];
  resolver.subscribe((u: ResolverUpdate) => updates.push(ids(u.snapshot) ?? ''));
  return { clock, watch, resolver, updates };
}

describe('Resolver ride-through', () => {
  it('a healthy watch publishes a removal of every instance at once', async () => {
    const { watch, resolver, updates } = start();
    watch.push(snap(1, 'a b'));
    await settle();
    watch.push(snap(2, ''));
    await settle();
    expect(ids(resolver.current())).toBe('');
    expect(updates).toEqual(['a b', '']);
    expect(resolver.state()).toMatchObject({ stale: false, holding: false });
  });

  it('after a watch error, an empty list is held; the instances coming back end the hold without an empty update', async () => {
    const { clock, watch, resolver, updates } = start();
    watch.push(snap(1, 'a b c'));
    await settle();
    watch.error();
    watch.push(snap(2, ''));
    await settle();
    expect(ids(resolver.current())).toBe('a b c');
    expect(resolver.state()).toMatchObject({ stale: true, holding: true });
    await clock.advance(4000);
    watch.push(snap(3, 'a'));
    await settle();
    expect(ids(resolver.current())).toBe('a b c'); // one of three back: most still gone, still held
    watch.push(snap(4, 'a b c'));
    await settle();
    expect(resolver.state()).toMatchObject({ stale: false, holding: false });
    await clock.advance(5000); // the hold's timer is gone: nothing more happens
    expect(updates).toEqual(['a b c']);
  });

  it('after a reset, an empty list still empty when the 5 s grace ends is published', async () => {
    const { clock, watch, resolver, updates } = start();
    watch.push(snap(10, 'a b c'));
    await settle();
    watch.reset();
    watch.push(snap(11, ''));
    await settle();
    await clock.advance(4999);
    expect(ids(resolver.current())).toBe('a b c');
    await clock.advance(1);
    expect(ids(resolver.current())).toBe('');
    expect(updates).toEqual(['a b c', '']);
    expect(resolver.state()).toMatchObject({ stale: false, holding: false });
  });

  it('a revision that goes backwards counts as a reset even without onReset', async () => {
    const { watch, resolver } = start();
    watch.push(snap(100, 'a b'));
    await settle();
    watch.push(snap(3, ''));
    await settle();
    expect(ids(resolver.current())).toBe('a b');
    expect(resolver.state().holding).toBe(true);
  });

  it('all instances turned critical after a fault are held too', async () => {
    const { watch, resolver } = start();
    watch.push(snap(1, 'a b'));
    await settle();
    watch.error();
    watch.push(snap(2, 'a b', 'critical'));
    await settle();
    expect(resolver.current()?.instances.map((i) => i.health)).toEqual(['passing', 'passing']);
  });

  it('rideThrough: false publishes at once, as before', async () => {
    const { watch, resolver } = start({ rideThrough: false });
    watch.push(snap(1, 'a b'));
    await settle();
    watch.error();
    watch.push(snap(2, ''));
    await settle();
    expect(ids(resolver.current())).toBe('');
  });

  it('graceMs as a Go duration', async () => {
    const { clock, watch, resolver } = start({ rideThrough: { graceMs: '1s' } });
    watch.push(snap(1, 'a b'));
    await settle();
    watch.error();
    watch.push(snap(2, ''));
    await settle();
    await clock.advance(999);
    expect(ids(resolver.current())).toBe('a b');
    await clock.advance(1);
    expect(ids(resolver.current())).toBe('');
  });

  it('a cold start from the snapshot file protects the saved list from an empty first answer', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'roster-ride-'));
    dirs.push(dir);
    const file = join(dir, 'orders.json');
    await saveSnapshot(file, snap(7, 'a b'), Date.now());
    const { watch, resolver } = start({ snapshotFile: file });
    await resolver.ready();
    expect(resolver.state().source).toBe('disk');
    watch.push(snap(1, ''));
    await settle();
    expect(ids(resolver.current())).toBe('a b');
    expect(resolver.state().holding).toBe(true);
  });

  it('the registry answering again after errors confirms the view without a new snapshot', async () => {
    const { clock, watch, resolver } = start();
    watch.push(snap(1, 'a b'));
    await settle();
    watch.error();
    await clock.advance(3000);
    expect(resolver.state()).toMatchObject({ stale: true, ageMs: 3000 });
    watch.recover();
    expect(resolver.state()).toMatchObject({ stale: false, ageMs: 0, lastError: undefined });
  });

  it('recovery while a snapshot is held keeps it held and stale', async () => {
    const { watch, resolver } = start();
    watch.push(snap(1, 'a b'));
    await settle();
    watch.error();
    watch.push(snap(2, ''));
    await settle();
    watch.recover();
    expect(resolver.state()).toMatchObject({ stale: true, holding: true });
    expect(ids(resolver.current())).toBe('a b');
  });

  it('refuses bad options, naming them', () => {
    const registry = memoryRegistry();
    const make = (rideThrough: unknown) => () => new Resolver({ registry, service: 'orders', rideThrough } as ResolverOptions).close();
    expect(make({ graceMs: -1 })).toThrow(InvalidArgumentError);
    expect(make({ graceMs: -1 })).toThrow(/rideThrough\.graceMs/);
    expect(make({ maxDrop: 2 })).toThrow(/rideThrough\.maxDrop/);
    expect(make({ grace: 1 })).toThrow(/rideThrough\.grace/);
    expect(make(true)).toThrow(/rideThrough/);
    expect(make(undefined)).not.toThrow();
  });
});
