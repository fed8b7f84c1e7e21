import diagnostics from 'node:diagnostics_channel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roundRobin } from '../balancer/round-robin.js';
import { CHANNELS } from '../diagnostics.js';
import { ClosedError, InvalidArgumentError, NoInstancesError } from '../errors.js';
import type { Snapshot } from '../model.js';
import { memoryRegistry } from '../registry/memory.js';
import type { Lease, Registry } from '../registry/registry.js';
import { type CreateFetchOptions, createFetch, type DiscoveryFetch } from './create-fetch.js';
import { type LoopbackInstance, startInstance } from './test-support.js';
import type { Middleware } from './transport.js';

const instances: LoopbackInstance[] = [];
const clients: DiscoveryFetch[] = [];
let registry: Registry;

async function addInstance(service: string, id: string, behaviour?: Parameters<typeof startInstance>[1]): Promise<Lease> {
  const inst = await startInstance(id, behaviour);
  instances.push(inst);
  return registry.register({ service, id, address: '127.0.0.1', port: inst.port });
}

function client(options: Partial<CreateFetchOptions> = {}): DiscoveryFetch {
  const fetch = createFetch({ registry, strategy: roundRobin(), ...options });
  clients.push(fetch);
  return fetch;
}

/** A registry whose watches hold back every snapshot until `open()`; counts open watches. */
function gatedRegistry(inner: Registry) {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  let watching = 0;
  const registry: Registry = {
    capabilities: { backend: 'fake', checkKinds: [] },
    register: (r, o) => inner.register(r, o),
    deregister: (s, i, o) => inner.deregister(s, i, o),
    list: (s, o) => inner.list(s, o),
    services: (o) => inner.services(o),
    close: () => inner.close(),
    watch: (service, options) => ({
      async *[Symbol.asyncIterator](): AsyncGenerator<Snapshot> {
        watching++;
        try {
          await gate;
          yield* inner.watch(service, options);
        } finally {
          watching--;
        }
      },
    }),
  };
  return { registry, open, watching: () => watching };
}

beforeAll(async () => {
  registry = memoryRegistry();
  await addInstance('orders', 'orders-1');
  await addInstance('orders', 'orders-2');
  await addInstance('orders', 'orders-3');
  await addInstance('flaky', 'flaky-ok');
  await addInstance('flaky', 'flaky-503', { status: 503 });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await registry.close();
  await Promise.all(instances.map((i) => i.close()));
});

describe('createFetch', () => {
  it('sends fetch("http://orders/...") to the instances of orders, a standard Response back', async () => {
    const fetch = client();
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const res = await fetch('http://orders/v1/items?page=2', { headers: { accept: 'application/json' } });
      expect(res).toBeInstanceOf(Response);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json');
      const body = (await res.json()) as { id: string; url: string };
      expect(body.url).toBe('/v1/items?page=2');
      seen.add(body.id);
    }
    expect([...seen].sort()).toEqual(['orders-1', 'orders-2', 'orders-3']);
  });

  it('sends bodies (JSON, URLSearchParams, bytes) and other methods; HEAD has no body', async () => {
    const fetch = client();
    const post = await fetch('http://orders/v1/items', { method: 'POST', body: JSON.stringify({ a: 1 }) });
    expect(await post.json()).toMatchObject({ method: 'POST', bodyLength: 7 });
    const form = await fetch(new URL('http://orders/form'), { method: 'PUT', body: new URLSearchParams({ q: 'x y' }) });
    expect(await form.json()).toMatchObject({ method: 'PUT', bodyLength: 5 });
    const bytes = await fetch(new Request('http://orders/bytes', { method: 'PUT', body: new Uint8Array([1, 2, 3]) }));
    expect(await bytes.json()).toMatchObject({ method: 'PUT', url: '/bytes', bodyLength: 3 });
    const head = await fetch('http://orders/v1/items', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBeNull();
  });

  it('has a fast path returning undici’s response and the instance', async () => {
    const fetch = client();
    const res = await fetch.request('http://orders/v1/items', { method: 'get' });
    expect(res.status).toBe(200);
    expect(res.instance?.service).toBe('orders');
    expect(await res.body.json()).toMatchObject({ id: res.instance?.id, method: 'GET' });
  });

  it('retries a 503 onto the other instance, and counts it', async () => {
    const fetch = client();
    for (let i = 0; i < 10; i++) {
      const res = await fetch.request('http://flaky/x');
      expect(res.status).toBe(200);
      expect(res.instance?.id).toBe('flaky-ok');
      await res.body.dump();
    }
    const stats = fetch.stats();
    expect(stats.requests).toBe(10);
    expect(stats.failures).toBe(0);
    expect(stats.retries).toBeGreaterThan(0);
    expect(stats.services.flaky?.instances['flaky-ok']).toEqual({ ok: 10, failed: 0 });
    expect(stats.services.flaky?.instances['flaky-503']?.failed).toBe(stats.retries);
  });

  it('wraps user middlewares around each call, with the logical request', async () => {
    const seen: string[] = [];
    const auth: Middleware = (next) => (req) => {
      seen.push(req.origin);
      return next({ ...req, headers: { ...req.headers, authorization: 'Bearer t' } });
    };
    const fetch = client({ middleware: [auth] });
    const res = await fetch.request('http://orders/me');
    await res.body.dump();
    expect(seen).toEqual(['http://orders']);
  });

  it('waits for the first snapshot on the first calls only, bounded by readyTimeout', async () => {
    const gated = gatedRegistry(registry);
    const fetch = client({ registry: gated.registry, readyTimeout: 5000 });
    const first = fetch.request('http://orders/first');
    let settled = false;
    void first.finally(() => {
      settled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(settled).toBe(false);
    gated.open();
    const res = await first;
    expect(res.status).toBe(200);
    await res.body.dump();

    const never = gatedRegistry(registry);
    const impatient = client({ registry: never.registry, readyTimeout: 50 });
    const error = await impatient.request('http://orders/x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoInstancesError);
    expect((error as Error).message).toMatch(/no snapshot from the registry within 50 ms/);
    expect(impatient.stats().noInstances).toBe(1);
  });

  it('rejects with NoInstancesError for a service without instances', async () => {
    const fetch = client();
    await expect(fetch('http://nobody/x')).rejects.toBeInstanceOf(NoInstancesError);
    expect(fetch.stats().services.nobody).toMatchObject({ requests: 1, noInstances: 1, failures: 1 });
  });

  it('follows the registry: new instances get calls, critical ones do not', async () => {
    const fetch = client();
    const lease = await addInstance('catalog', 'catalog-1');
    const sick = await addInstance('catalog', 'catalog-2');
    await sick.setHealth('critical');
    const ids = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const res = await fetch.request('http://catalog/');
      ids.add(res.instance!.id);
      await res.body.dump();
    }
    expect([...ids]).toEqual(['catalog-1']);
    await sick.setHealth('passing');
    await lease.deregister();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const res = await fetch.request('http://catalog/');
    expect(res.instance!.id).toBe('catalog-2');
    await res.body.dump();
  });

  it(`publishes ejections on ${CHANNELS.ejection} and counts them`, async () => {
    const messages: unknown[] = [];
    const listener = (m: unknown) => messages.push(m);
    diagnostics.subscribe(CHANNELS.ejection, listener);
    try {
      const dead = await startInstance('dead');
      instances.push(dead);
      dead.kill();
      await registry.register({ service: 'billing', id: 'billing-dead', address: '127.0.0.1', port: dead.port });
      await addInstance('billing', 'billing-ok');
      const fetch = client();
      for (let i = 0; i < 8; i++) await (await fetch.request('http://billing/')).body.dump();
      expect(messages).toContainEqual(expect.objectContaining({ service: 'billing', instanceId: 'billing-dead', ejected: true }));
      expect(fetch.stats().ejections).toBe(1);
      expect(fetch.stats().failures).toBe(0);
    } finally {
      diagnostics.unsubscribe(CHANNELS.ejection, listener);
    }
  });

  it('close() releases watches and connections; later calls reject with ClosedError', async () => {
    const gated = gatedRegistry(registry);
    gated.open();
    const fetch = createFetch({ registry: gated.registry });
    await (await fetch.request('http://orders/')).body.dump();
    await (await fetch.request('http://catalog/')).body.dump();
    expect(gated.watching()).toBe(2);
    await fetch.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(gated.watching()).toBe(0);
    await expect(fetch.request('http://orders/')).rejects.toBeInstanceOf(ClosedError);
    await expect(fetch('http://orders/')).rejects.toBeInstanceOf(ClosedError);
    await fetch[Symbol.asyncDispose]();
  });

  it('rejects a URL that is not a discovery URL', async () => {
    const fetch = client();
    await expect(fetch.request('http://orders:8080/x')).rejects.toThrow(expect.objectContaining({ field: 'url' }));
    await expect(fetch.request('http://orders/x', { method: 'GET', body: null, headers: {} })).resolves.toBeDefined();
  });
});

describe('createFetch options (validated at construction)', () => {
  it.each([
    [{ registry: undefined }, 'registry'],
    [{ strategy: 'round-robin' }, 'strategy'],
    [{ balancer: { passingQuorum: 2 } }, 'balancer.passingQuorum'],
    [{ retry: { attempts: 1 } }, 'retry.attempts'],
    [{ clock: { now: () => 0, setTimeout: () => 0 } }, 'clock.clearTimeout'],
    [{ retry: { maxAttempts: 0 } }, 'retry.maxAttempts'],
    [{ timeout: { attempt: 'soon' } }, 'timeout.attempt'],
    [{ timeout: { overall: -5 } }, 'timeout.overall'],
    [{ readyTimeout: 'never' }, 'readyTimeout'],
    [{ middleware: [42] }, 'middleware[0]'],
    [{ dispatcher: {} }, 'dispatcher.request'],
    [{ random: 'dice' }, 'random'],
  ])('%o → InvalidArgumentError(%s)', (bad, field) => {
    const build = () => createFetch({ registry, ...bad } as unknown as CreateFetchOptions);
    expect(build).toThrow(InvalidArgumentError);
    expect(build).toThrow(expect.objectContaining({ field }));
  });
});
