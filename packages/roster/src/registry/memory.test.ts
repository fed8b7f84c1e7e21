import { describe, expect, it } from 'vitest';
import { FakeClock } from '../testing/fake-clock.js';
import { registryContract } from '../testing/registry-contract.js';
import { memoryRegistry } from './memory.js';
import { MemoryStore } from './memory-store.js';

const clock = new FakeClock();
const store = new MemoryStore({ clock });

registryContract('memory (fake clock)', {
  connect: () => memoryRegistry({ store }),
  advance: (ms) => clock.advance(ms),
  ttlMs: 1000,
  expiryGraceMs: 100,
  settleMs: 200,
  skip: {
    'a watch reports an unreachable registry through onError and stays open':
      'in-process: there is no connection to lose (D32); the clause runs on roster serve and etcd',
  },
});

describe('memory backend specifics', () => {
  it('removes an unrenewed TTL registration exactly when the TTL passes', async () => {
    const c = new FakeClock();
    const s = new MemoryStore({ clock: c });
    const owner = memoryRegistry({ store: s });
    const observer = memoryRegistry({ store: s });
    await owner.register({ service: 'api', id: 'a', address: '10.0.0.1', port: 80, ttl: '3s' });
    await c.advance(2000);
    await owner.close();
    await c.advance(2999); // last renewal was at t=2000 (every ttl/3 = 1 s)
    expect((await observer.list('api')).instances.map((i) => i.id)).toEqual(['a']);
    await c.advance(2);
    expect((await observer.list('api')).instances).toEqual([]);
  });

  it('turns an instance critical when its TTL check is not renewed, and passing again on renewal', async () => {
    const c = new FakeClock();
    const s = new MemoryStore({ clock: c });
    const r = memoryRegistry({ store: s, checkEveryMs: 60_000 });
    const lease = await r.register({ service: 'api', id: 'a', address: '10.0.0.1', port: 80, checks: [{ kind: 'ttl', ttl: '5s' }] });
    await c.advance(5001);
    expect((await r.list('api')).instances[0]?.health).toBe('critical');
    await lease.setHealth('passing');
    expect((await r.list('api')).instances[0]?.health).toBe('passing');
  });

  it('rejects a bad service name in list and watch', async () => {
    const r = memoryRegistry();
    await expect(r.list('no spaces')).rejects.toMatchObject({ code: 'ROSTER_ERR_INVALID_ARGUMENT', field: 'service' });
    expect(() => r.watch('')).toThrow(/service: must not be empty/);
  });

  it('rejects an aborted signal before doing anything', async () => {
    const r = memoryRegistry();
    const ac = new AbortController();
    ac.abort();
    await expect(r.register({ service: 'api', address: '10.0.0.1', port: 80 }, { signal: ac.signal })).rejects.toMatchObject({
      code: 'ROSTER_ERR_ABORTED',
    });
    expect((await r.list('api')).instances).toEqual([]);
  });
});
