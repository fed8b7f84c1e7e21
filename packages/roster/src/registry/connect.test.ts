import { afterEach, describe, expect, it } from 'vitest';
import { connect } from './connect.js';
import type { Registry } from './registry.js';

const opened: Registry[] = [];
const open = (url: string) => {
  const r = connect(url);
  opened.push(r);
  return r;
};
afterEach(async () => {
  await Promise.all(opened.splice(0).map((r) => r.close()));
});

describe('connect(url)', () => {
  it('memory:// clients with the same name share one store, other names do not', async () => {
    const a = open('memory://connect-test');
    const b = open('memory://connect-test');
    const other = open('memory://connect-other');
    await a.register({ service: 'orders', id: 'o1', address: '10.0.0.1', port: 80 });
    expect((await b.list('orders')).instances.map((i) => i.id)).toEqual(['o1']);
    expect((await other.list('orders')).instances).toEqual([]);
  });

  it('consul:// and etcd:// build their backends without connecting yet', () => {
    expect(typeof open('consul://127.0.0.1:1').watch).toBe('function');
    expect(typeof open('http://127.0.0.1:1').list).toBe('function');
    expect(typeof open('etcd://127.0.0.1:1,127.0.0.1:2').register).toBe('function');
  });

  it('reports an unreachable Consul as a retryable RegistryUnavailableError', async () => {
    const r = open('consul://127.0.0.1:1');
    await expect(r.list('orders')).rejects.toMatchObject({ code: 'ROSTER_ERR_REGISTRY_UNAVAILABLE', retryable: true });
  });

  it.each([
    ['zookeeper://h:2181', /^url: "zookeeper:\/\/h:2181": the scheme must be/],
    ['no scheme', /^url: "no scheme": the scheme must be/],
    ['consul://[bad', /^url: /],
  ])('rejects %s naming the url', (url, message) => {
    expect(() => connect(url)).toThrow(message);
  });
});
