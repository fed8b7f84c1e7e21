/**
 * `createFetch({ rideThrough })` reaches the Resolvers it creates: after a watch error, a
 * registry that suddenly lists nobody does not fail calls by default, and does with `false`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError, RegistryUnavailableError } from '../errors.js';
import { Latest } from '../internal/latest.js';
import type { Instance, Snapshot } from '../model.js';
import { memoryRegistry } from '../registry/memory.js';
import type { Registry, WatchOptions } from '../registry/registry.js';
import { createFetch, type DiscoveryFetch } from './create-fetch.js';
import type { RideThroughOption } from '../resolver/ride-through.js';
import { type LoopbackInstance, startInstance } from './test-support.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

/** A registry whose watch the test feeds (one watch per registry). */
function drivenRegistry() {
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
  return { registry, push: (s: Snapshot) => channel.push(s), error: () => options.onError?.(new RegistryUnavailableError('test')) };
}

const of = (server: LoopbackInstance): Instance => ({
  id: server.id,
  service: 'orders',
  address: '127.0.0.1',
  port: server.port,
  tags: [],
  meta: {},
  weight: 1,
  zone: '',
  health: 'passing',
});

async function scenario(rideThrough: RideThroughOption | undefined): Promise<number> {
  const server = await startInstance('orders-1');
  closers.push(() => server.close());
  const { registry, push, error } = drivenRegistry();
  const caller: DiscoveryFetch = createFetch({ registry, ...(rideThrough === undefined ? {} : { rideThrough }), retry: false });
  closers.push(() => caller.close());
  push({ service: 'orders', revision: 1, instances: [of(server)] });
  expect((await caller.request('http://orders/')).status).toBe(200);
  error();
  push({ service: 'orders', revision: 2, instances: [] });
  await new Promise((r) => setTimeout(r, 20));
  try {
    const res = await caller.request('http://orders/');
    await res.body.dump();
    return res.status;
  } catch (e) {
    return (e as Error).name === 'NoInstancesError' ? -1 : -2;
  }
}

describe('createFetch rideThrough', () => {
  it('by default, an empty list right after a watch error is ridden through', async () => {
    expect(await scenario(undefined)).toBe(200);
  });

  it('with rideThrough: false, the same empty list fails the call', async () => {
    expect(await scenario(false)).toBe(-1);
  });

  it('refuses a bad value, naming it', () => {
    const registry = memoryRegistry();
    expect(() => createFetch({ registry, rideThrough: { graceMs: -5 } })).toThrow(InvalidArgumentError);
    expect(() => createFetch({ registry, rideThrough: { maxDrop: 3 } })).toThrow(/rideThrough\.maxDrop/);
  });
});
