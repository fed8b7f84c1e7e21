/**
 * The contract suite must be able to fail: each deliberately broken backend below breaks one
 * promise of the Registry contract, and the clauses that guard that promise must reject it.
 */
import { describe, expect, it } from 'vitest';
import { freePort } from '../../../../test-support/etcd.js';
import { consulRegistry } from '../registry/consul/consul-registry.js';
import { memoryRegistry } from '../registry/memory.js';
import { MemoryStore } from '../registry/memory-store.js';
import type { Registry } from '../registry/registry.js';
import type { Snapshot } from '../model.js';
import { contractClauses } from './contract-clauses.js';
import { FakeClock } from './fake-clock.js';
import { type RegistryContractOptions, runClause } from './registry-contract.js';

type Breakage = (inner: Registry) => Partial<Registry>;

const UNREACHABLE = 'a watch reports an unreachable registry through onError and stays open';

/** Wraps a working client, replacing some of its methods. */
function wrap(inner: Registry, breakage: Breakage): Registry {
  return {
    capabilities: inner.capabilities,
    register: (r, o) => inner.register(r, o),
    deregister: (s, id, o) => inner.deregister(s, id, o),
    list: (s, o) => inner.list(s, o),
    services: (o) => inner.services(o),
    watch: (s, o) => inner.watch(s, o),
    close: () => inner.close(),
    ...breakage(inner),
  };
}

/**
 * A working memory client with the breakage; the unreachable registry is a real Consul-backend
 * client of a loopback port nothing listens on, with the same breakage.
 */
function broken(breakage: Breakage): RegistryContractOptions {
  const clock = new FakeClock();
  const store = new MemoryStore({ clock });
  return {
    connect: () => wrap(memoryRegistry({ store }), breakage),
    unreachable: async () =>
      wrap(consulRegistry({ url: `http://127.0.0.1:${await freePort()}`, timeoutMs: 500, backoff: { baseMs: 20, maxMs: 100 } }), breakage),
    advance: (ms) => clock.advance(ms),
    ttlMs: 1000,
    expiryGraceMs: 100,
    settleMs: 200,
  };
}

/** A watch that queues every snapshot instead of keeping only the newest. */
function backlogWatch(inner: Registry): Partial<Registry> {
  return {
    watch(service, options) {
      return {
        async *[Symbol.asyncIterator]() {
          const queue: Snapshot[] = [];
          let wake: (() => void) | undefined;
          const ac = new AbortController();
          options?.signal?.addEventListener('abort', () => ac.abort());
          void (async () => {
            for await (const s of inner.watch(service, { signal: ac.signal })) {
              queue.push(s);
              wake?.();
            }
            wake?.();
          })();
          while (!ac.signal.aborted) {
            const next = queue.shift();
            if (next) yield next;
            else await new Promise<void>((r) => (wake = r));
          }
        },
      };
    },
  };
}

const cases: { name: string; breakage: Breakage; mustFail: string[] }[] = [
  {
    name: 'capabilities claim every check kind but the store runs only TTL checks',
    breakage: () => ({ capabilities: { backend: 'memory', checkKinds: ['http', 'tcp', 'ttl'] } }),
    mustFail: ['a check of a kind the backend does not run is refused naming checks and the backend; one it runs is accepted'],
  },
  {
    name: 'register stores checks nobody runs (no refusal)',
    breakage: (inner) => ({
      capabilities: { backend: 'memory', checkKinds: [] },
      register: (r, o) => inner.register({ ...r, checks: [] }, o),
    }),
    mustFail: ['a check of a kind the backend does not run is refused naming checks and the backend; one it runs is accepted'],
  },
  {
    name: 'list drops tags',
    breakage: (inner) => ({
      list: async (s, o) => {
        const snap = await inner.list(s, o);
        return { ...snap, instances: snap.instances.map((i) => ({ ...i, tags: [] })) };
      },
    }),
    mustFail: ['register then list shows the instance with every field'],
  },
  {
    name: 'deregister always claims success',
    breakage: (inner) => ({ deregister: async (s, id, o) => (await inner.deregister(s, id, o)) || true }),
    mustFail: ['deregister removes an instance and says whether there was one'],
  },
  {
    name: 'list reports revision 0',
    breakage: (inner) => ({ list: async (s, o) => ({ ...(await inner.list(s, o)), revision: 0 }) }),
    mustFail: ['revisions of a service never go backwards', 'register then list shows the instance with every field'],
  },
  {
    name: 'watch skips the current state',
    breakage: (inner) => ({
      watch: (s, o) => ({
        async *[Symbol.asyncIterator]() {
          let first = true;
          for await (const snap of inner.watch(s, o)) {
            if (!first) yield snap;
            first = false;
          }
        },
      }),
    }),
    mustFail: [
      'watch yields the current state first, then each change with increasing revisions',
      'watch of an empty service yields an empty snapshot first',
    ],
  },
  {
    name: 'watch keeps a backlog',
    breakage: backlogWatch,
    mustFail: ['watch gives a slow consumer the newest snapshot, not a backlog'],
  },
  {
    name: 'close leaves watches running',
    breakage: (inner) => ({ close: async () => {}, register: inner.register.bind(inner) }),
    mustFail: ['watch ends without error when the client closes', 'a closed client refuses further calls with ClosedError'],
  },
  {
    name: 'validation errors lose their field',
    breakage: (inner) => ({
      register: async (r, o) => {
        try {
          return await inner.register(r, o);
        } catch {
          throw new Error('bad registration');
        }
      },
    }),
    mustFail: ['invalid registrations are rejected naming the field, and nothing is stored'],
  },
  {
    name: 'leases never renew',
    breakage: (inner) => ({
      register: async (r, o) => {
        const lease = await inner.register(r, o);
        await inner.close(); // stops every renewal of this client's leases
        return lease;
      },
    }),
    mustFail: ['a TTL registration stays passing while its lease renews it', 'a lease restores a registration the registry forgot'],
  },
  {
    name: 'watch keeps retried errors to itself',
    breakage: (inner) => ({ watch: (s, o) => inner.watch(s, { ...(o?.signal ? { signal: o.signal } : {}) }) }),
    mustFail: [UNREACHABLE],
  },
  {
    name: 'watch gives up when the registry is unreachable',
    breakage: (inner) => ({
      watch: (s, o) => ({
        async *[Symbol.asyncIterator]() {
          const giveUp = new AbortController();
          const signal = o?.signal ? AbortSignal.any([o.signal, giveUp.signal]) : giveUp.signal;
          yield* inner.watch(s, { signal, onError: (e) => (o?.onError?.(e), giveUp.abort()) });
        },
      }),
    }),
    mustFail: [UNREACHABLE],
  },
];

describe('the contract suite catches broken backends', () => {
  for (const c of cases) {
    for (const clauseName of c.mustFail) {
      it(`${c.name} → fails "${clauseName}"`, async () => {
        const clause = contractClauses.find((k) => k.name === clauseName);
        expect(clause, `no clause named ${clauseName}`).toBeDefined();
        if (!clause) return;
        await expect(runClause(clause, broken(c.breakage))).rejects.toThrow();
      });
    }
  }

  it('an unbroken wrapper passes every clause (the wrapper itself is sound)', async () => {
    for (const clause of contractClauses)
      await runClause(
        clause,
        broken(() => ({})),
      );
  });
});
