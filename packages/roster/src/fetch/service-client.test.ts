import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from 'undici';
import { ClosedError, InvalidArgumentError } from '../errors.js';
import { memoryRegistry } from '../registry/memory.js';
import type { Registry } from '../registry/registry.js';
import { serviceClient } from './service-client.js';
import { type LoopbackInstance, startInstance } from './test-support.js';

let registry: Registry;
const instances: LoopbackInstance[] = [];

beforeAll(async () => {
  registry = memoryRegistry();
  for (const id of ['a', 'b']) {
    const inst = await startInstance(id, { delayMs: id === 'b' ? 400 : 0 });
    instances.push(inst);
    await registry.register({ service: 'orders', id, address: '127.0.0.1', port: inst.port });
  }
});

afterAll(async () => {
  await registry.close();
  await Promise.all(instances.map((i) => i.close()));
});

describe('serviceClient', () => {
  it('calls paths of one service, with request() and fetch()', async () => {
    await using orders = serviceClient({ registry, service: 'orders' });
    expect(orders.service).toBe('orders');
    const res = await orders.request('/v1/items?x=1', { headers: { 'x-a': '1' } });
    expect(res.status).toBe(200);
    expect(await res.body.json()).toMatchObject({ url: '/v1/items?x=1' });
    const web = await orders.fetch('/v1/items', { method: 'DELETE' });
    expect(await web.json()).toMatchObject({ method: 'DELETE' });
    expect(orders.stats()).toMatchObject({ requests: 2, failures: 0, services: { orders: { requests: 2 } } });
  });

  it('retries an attempt that ran out of time onto the other instance', async () => {
    await using orders = serviceClient({ registry, service: 'orders', timeout: { attempt: 100 }, balancer: { outlierEjection: false } });
    for (let i = 0; i < 4; i++) {
      const res = await orders.request('/');
      expect(res.instance!.id).toBe('a');
      await res.body.dump();
    }
    expect(orders.stats().failures).toBe(0);
  });

  it('keeps a dispatcher passed in open', async () => {
    const agent = new Agent();
    const orders = serviceClient({ registry, service: 'orders', dispatcher: agent });
    await (await orders.request('/')).body.dump();
    await orders.close();
    expect(agent.closed).toBe(false);
    await agent.close();
    await expect(orders.request('/')).rejects.toBeInstanceOf(ClosedError);
  });

  it.each([
    [{ service: 'not a name' }, 'service'],
    [{ service: 'orders', scheme: 'ftp' }, 'scheme'],
  ])('%o → InvalidArgumentError(%s)', (bad, field) => {
    const build = () => serviceClient({ registry, ...bad } as Parameters<typeof serviceClient>[0]);
    expect(build).toThrow(InvalidArgumentError);
    expect(build).toThrow(expect.objectContaining({ field }));
  });

  it('rejects a path that does not start with "/"', async () => {
    await using orders = serviceClient({ registry, service: 'orders' });
    await expect(orders.request('v1/items')).rejects.toThrow(expect.objectContaining({ field: 'path' }));
  });
});
