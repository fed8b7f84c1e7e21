import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RegistryUnavailableError } from '../errors.js';
import type { Snapshot } from '../model.js';
import { memoryRegistry } from '../registry/memory.js';
import { MemoryStore } from '../registry/memory-store.js';
import type { Registry, WatchOptions } from '../registry/registry.js';
import { FakeClock } from '../testing/fake-clock.js';
import { Resolver, type ResolverUpdate } from './resolver.js';
import { acquireResolver } from './shared-resolvers.js';

const reg = (id: string, port = 80) => ({ service: 'orders', id, address: '10.0.0.1', port });

/**
 * A registry whose watch a test scripts: each call to watch() takes the next behaviour.
 * Everything else is a working memory registry.
 */
function scriptedWatch(behaviours: ((o: WatchOptions) => AsyncIterable<Snapshot>)[]) {
  const inner = memoryRegistry();
  const calls: number[] = [];
  let clock: FakeClock | undefined;
  const registry: Registry = {
    capabilities: { backend: 'fake', checkKinds: [] },
    register: (r, o) => inner.register(r, o),
    deregister: (s, i, o) => inner.deregister(s, i, o),
    list: (s, o) => inner.list(s, o),
    services: (o) => inner.services(o),
    close: () => inner.close(),
    watch: (_s, o = {}) => {
      calls.push(clock?.now() ?? 0);
      const next = behaviours.shift();
      if (!next) return { [Symbol.asyncIterator]: () => ({ next: () => new Promise(() => {}) }) };
      return next(o);
    },
  };
  return { registry, calls, useClock: (c: FakeClock) => (clock = c) };
}

const snap = (revision: number, ...ids: string[]): Snapshot => ({
  service: 'orders',
  revision,
  instances: ids.map((id) => ({
    id,
    service: 'orders',
    address: '10.0.0.1',
    port: 80,
    tags: [],
    meta: {},
    weight: 1,
    zone: '',
    health: 'passing' as const,
  })),
});

async function* yieldThenHang(items: Snapshot[], signal?: AbortSignal) {
  for (const s of items) yield s;
  await new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve(), { once: true }));
}

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('Resolver', () => {
  it('is ready with the first snapshot and publishes typed diffs', async () => {
    const clock = new FakeClock();
    const store = new MemoryStore({ clock });
    const r = memoryRegistry({ store });
    await r.register(reg('a'));
    const resolver = new Resolver({ registry: r, service: 'orders', clock });
    expect(resolver.current()).toBeUndefined();
    const first = await resolver.ready();
    expect(first.instances.map((i) => i.id)).toEqual(['a']);
    const updates: ResolverUpdate[] = [];
    resolver.subscribe((u) => updates.push(u));
    const b = await r.register(reg('b'));
    await r.register(reg('a', 81));
    await b.setHealth('critical');
    await r.deregister('orders', 'a');
    await clock.advance(0);
    const summary = updates.map((u) => ({
      added: u.diff.added.map((i) => i.id),
      removed: u.diff.removed.map((i) => i.id),
      changed: u.diff.changed.map((c) => `${c.before.id}:${c.before.port}/${c.before.health}→${c.after.port}/${c.after.health}`),
    }));
    expect(summary).toEqual([
      { added: ['b'], removed: [], changed: [] },
      { added: [], removed: [], changed: ['a:80/passing→81/passing'] },
      { added: [], removed: [], changed: ['b:80/passing→80/critical'] },
      { added: [], removed: ['a'], changed: [] },
    ]);
    expect(resolver.current()?.instances.map((i) => i.id)).toEqual(['b']);
    resolver.close();
  });

  it('drops a snapshot whose revision it already has', async () => {
    const { registry } = scriptedWatch([(o) => yieldThenHang([snap(5, 'a'), snap(5, 'a'), snap(6, 'a', 'b')], o.signal)]);
    const resolver = new Resolver({ registry, service: 'orders' });
    const seen: number[] = [];
    resolver.subscribe((u) => seen.push(u.snapshot.revision));
    await resolver.ready();
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual([5, 6]); // the repeated revision 5 was dropped
    resolver.close();
  });

  it('keeps serving the last snapshot, marked stale with its age, while the registry fails', async () => {
    const clock = new FakeClock();
    let report: ((e: Error) => void) | undefined;
    const { registry } = scriptedWatch([
      (o) => {
        report = o.onError;
        return yieldThenHang([snap(3, 'a', 'b')], o.signal);
      },
    ]);
    const resolver = new Resolver({ registry, service: 'orders', clock });
    await resolver.ready();
    expect(resolver.state()).toMatchObject({ stale: false, ageMs: 0, source: 'registry' });
    await clock.advance(1500);
    report?.(new RegistryUnavailableError('connection refused'));
    await clock.advance(30_000);
    const state = resolver.state();
    expect(state.stale).toBe(true);
    expect(state.ageMs).toBe(31_500);
    expect(state.lastError?.message).toBe('connection refused');
    expect(resolver.current()?.instances.map((i) => i.id)).toEqual(['a', 'b']);
    resolver.close();
  });

  it('restarts a failed watch after jittered exponential backoff (exact delays)', async () => {
    const clock = new FakeClock(0);
    const fail = () => ({
      // A watch that fails before its first item.
      // eslint-disable-next-line require-yield
      async *[Symbol.asyncIterator]() {
        throw new RegistryUnavailableError('down');
      },
    });
    const script = scriptedWatch([fail, fail, fail, fail, (o) => yieldThenHang([snap(1, 'a')], o.signal)]);
    script.useClock(clock);
    const resolver = new Resolver({
      registry: script.registry,
      service: 'orders',
      clock,
      random: () => 0.5,
      backoff: { baseMs: 100, maxMs: 300 },
    });
    await clock.advance(1000);
    // delays: 0.5 × min(300, 100·2^n) = 50, 100, 150, 150
    expect(script.calls).toEqual([0, 50, 150, 300, 450]);
    expect(resolver.current()?.revision).toBe(1);
    expect(resolver.state().stale).toBe(false);
    resolver.close();
  });

  it('starts from the snapshot file when the registry is down at start-up', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'roster-resolver-'));
    dirs.push(dir);
    const file = join(dir, 'orders.json');
    const clock = new FakeClock();
    const r = memoryRegistry({ store: new MemoryStore({ clock }) });
    await r.register(reg('a'));
    const first = new Resolver({ registry: r, service: 'orders', clock, snapshotFile: file });
    await first.ready();
    await first.flushed();
    first.close();

    const down = scriptedWatch([]); // its watch never answers
    const second = new Resolver({ registry: down.registry, service: 'orders', clock, snapshotFile: file });
    const cold = await second.ready(AbortSignal.timeout(5000));
    expect(cold.instances.map((i) => i.id)).toEqual(['a']);
    expect(second.state()).toMatchObject({ source: 'disk', stale: true });
    second.close();
  });

  it('ignores a snapshot file of another service or in a bad format', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'roster-resolver-'));
    dirs.push(dir);
    const { writeFile } = await import('node:fs/promises');
    const file = join(dir, 'x.json');
    await writeFile(file, '{"format":1,"savedAt":1,"snapshot":{"service":"other","revision":1,"instances":[]}}');
    const down = scriptedWatch([]);
    const resolver = new Resolver({ registry: down.registry, service: 'orders', snapshotFile: file });
    await expect(resolver.ready(AbortSignal.timeout(200))).rejects.toMatchObject({ code: 'ROSTER_ERR_ABORTED' });
    resolver.close();
  });

  it('validates its options naming the field', () => {
    const r = memoryRegistry();
    expect(() => new Resolver({ registry: r, service: 'bad name' })).toThrow(/^service: /);
    expect(() => new Resolver({ registry: {} as Registry, service: 'orders' })).toThrow(/^registry.watch: /);
    expect(() => new Resolver({ registry: r, service: 'orders', backoff: { baseMs: 0, maxMs: 1 } })).toThrow(/^backoff.baseMs: /);
  });
});

describe('acquireResolver', () => {
  it('shares one Resolver per registry and service, and closes it with the last release', async () => {
    const r = memoryRegistry();
    const a = acquireResolver(r, 'orders');
    const b = acquireResolver(r, 'orders');
    const other = acquireResolver(r, 'payments');
    expect(b.resolver).toBe(a.resolver);
    expect(other.resolver).not.toBe(a.resolver);
    a.release();
    a.release();
    expect(b.resolver.closed).toBe(false);
    b.release();
    expect(b.resolver.closed).toBe(true);
    const c = acquireResolver(r, 'orders');
    expect(c.resolver).not.toBe(a.resolver);
    c.release();
    other.release();
  });
});
