/**
 * A Resolver subscriber that throws must not reach the Resolver or the other subscribers: the
 * later subscribers (a Balancer among them) still see every update, and the watch is not torn
 * down as if the registry had failed.
 */
import diagnostics from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { createBalancer } from '../balancer/create-balancer.js';
import { CHANNELS } from '../diagnostics.js';
import { memoryRegistry } from '../registry/memory.js';
import { MemoryStore } from '../registry/memory-store.js';
import type { Registry, WatchOptions } from '../registry/registry.js';
import { FakeClock } from '../testing/fake-clock.js';
import { Resolver } from './resolver.js';

const reported: unknown[] = [];
const onReport = (message: unknown) => reported.push(message);
diagnostics.subscribe(CHANNELS.listenerError, onReport);
afterEach(() => {
  reported.length = 0;
});

const reg = (id: string) => ({ service: 'orders', id, address: '127.0.0.1', port: 80 });

/** Counts the watches the Resolver opens on a real memory registry. */
function countingWatches(inner: Registry): { registry: Registry; watches: () => number } {
  let watches = 0;
  const registry: Registry = {
    capabilities: { backend: 'fake', checkKinds: [] },
    register: (r, o) => inner.register(r, o),
    deregister: (s, i, o) => inner.deregister(s, i, o),
    list: (s, o) => inner.list(s, o),
    services: (o) => inner.services(o),
    close: () => inner.close(),
    watch: (s, o?: WatchOptions) => {
      watches += 1;
      return inner.watch(s, o);
    },
  };
  return { registry, watches: () => watches };
}

describe('Resolver: a throwing subscriber is isolated', () => {
  it('later subscribers and a Balancer still get every update, and the watch stays up', async () => {
    const clock = new FakeClock();
    const store = new MemoryStore({ clock });
    const writer = memoryRegistry({ store });
    const { registry, watches } = countingWatches(memoryRegistry({ store }));
    await writer.register(reg('a'));
    const resolver = new Resolver({ registry, service: 'orders', clock, random: () => 0 });
    await resolver.ready();
    const balancer = createBalancer({ clock });
    balancer.update(resolver.current()?.instances ?? []);
    const bug = new Error('subscriber bug');
    resolver.subscribe(() => {
      throw bug;
    });
    const seen: string[][] = [];
    resolver.subscribe((u) => seen.push(u.snapshot.instances.map((i) => i.id)));
    resolver.subscribe((u) => balancer.update(u.snapshot.instances));

    await writer.register(reg('b'));
    await clock.advance(0);
    await writer.register(reg('c'));
    await clock.advance(1000);

    expect(seen).toEqual([
      ['a', 'b'],
      ['a', 'b', 'c'],
    ]);
    expect(balancer.picker.instances.map((i) => i.id)).toEqual(['a', 'b', 'c']);
    // The Resolver's own state: not stale, no error, the same single watch.
    expect(resolver.state()).toMatchObject({ stale: false, lastError: undefined });
    expect(resolver.current()?.instances.map((i) => i.id)).toEqual(['a', 'b', 'c']);
    expect(watches()).toBe(1);
    expect(reported).toEqual([
      expect.objectContaining({ event: 'resolver:update', error: bug }),
      expect.objectContaining({ event: 'resolver:update', error: bug }),
    ]);
    resolver.close();
    await writer.close();
    await registry.close();
  });
});
