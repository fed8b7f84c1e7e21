/**
 * The clauses of the Registry contract, as plain async functions using node:assert, so they
 * can run under any test runner (registryContract wires them into vitest) and can be run
 * directly against deliberately broken backends to show that each one can fail.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ClosedError, InvalidArgumentError, isRosterError, RosterError } from '../errors.js';
import type { Instance, Registration, Snapshot } from '../model.js';
import type { LeaseEvent, Registry } from '../registry/registry.js';
import { safeString } from '../internal/safe-string.js';

/** What a clause gets: clients of the backend under test and a way to let time pass. */
export interface ClauseContext {
  /** A new client of the backend under test (all clients share one backend); closed after the clause. */
  connect(): Promise<Registry>;
  /** Lets `ms` of the backend's time pass (a fake clock's advance, or a real sleep). */
  advance(ms: number): Promise<void>;
  /** TTL used by the expiry clauses (≥ the backend's minimum). */
  readonly ttlMs: number;
  /** How long after a missed TTL the backend may take to act on it. */
  readonly expiryGraceMs: number;
  /** How long a change may take to become visible to lists and watchers. */
  readonly settleMs: number;
  /**
   * A new client of the same kind of backend whose registry cannot be reached (closed after the
   * clause); undefined when the options gave none (the clause that needs it then fails).
   */
  readonly unreachable: (() => Promise<Registry>) | undefined;
}

/** One clause of the contract. */
export interface ContractClause {
  readonly name: string;
  run(ctx: ClauseContext): Promise<void>;
}

const STEP_MS = 50;

/** A service name no other test uses. */
export function uniqueService(tag = 'svc'): string {
  if (typeof tag !== 'string') throw new InvalidArgumentError('tag', 'must be a string');
  return `ct-${tag}-${randomUUID().slice(0, 8)}`;
}

function reg(service: string, id: string, extra: Partial<Registration> = {}): Registration {
  return { service, id, address: '127.0.0.1', port: 8080, ...extra };
}

/** Retries `check` while letting time pass, up to `limitMs` of backend time. */
async function eventually<T>(ctx: ClauseContext, limitMs: number, check: () => Promise<T>): Promise<T> {
  let waited = 0;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (waited >= limitMs) throw error;
    }
    await ctx.advance(STEP_MS);
    waited += STEP_MS;
  }
}

/** Waits for `promise` while letting time pass (at most `limitMs`); fails when it does not settle. */
async function within<T>(ctx: ClauseContext, promise: Promise<T>, limitMs: number, what: string): Promise<T> {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  let waited = 0;
  while (!settled && waited < limitMs) {
    await ctx.advance(STEP_MS);
    waited += STEP_MS;
  }
  if (!settled) throw new assert.AssertionError({ message: `${what}: nothing within ${limitMs} ms` });
  return promise;
}

/** The next watch item, letting time pass until it comes (at most `limitMs`). */
function nextItem(ctx: ClauseContext, it: AsyncIterator<Snapshot>, limitMs: number): Promise<IteratorResult<Snapshot>> {
  return within(ctx, it.next(), limitMs, 'watch item');
}

/** Reads watch items until one satisfies `match`; returns it. */
async function nextMatching(ctx: ClauseContext, it: AsyncIterator<Snapshot>, match: (s: Snapshot) => boolean): Promise<Snapshot> {
  for (let i = 0; i < 50; i++) {
    const r = await nextItem(ctx, it, ctx.settleMs);
    assert.equal(r.done, false, 'watch ended early');
    if (match(r.value)) return r.value;
  }
  throw new assert.AssertionError({ message: 'no matching watch item' });
}

const ids = (s: Snapshot) => s.instances.map((i) => i.id);

/** Real time: an unreachable registry's client runs on its own (system) clock. */
const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** How long (real time) an unreachable registry's watch may take to report two retried errors. */
const UNREACHABLE_LIMIT_MS = 5000;
const find = (s: Snapshot, id: string): Instance | undefined => s.instances.find((i) => i.id === id);

/** Every clause of the Registry contract. */
export const contractClauses: readonly ContractClause[] = [
  {
    name: 'register then list shows the instance with every field',
    async run(ctx) {
      const r = await ctx.connect();
      const service = uniqueService();
      const lease = await r.register(
        reg(service, 'a-1', { port: 9001, tags: ['v1', 'blue'], meta: { version: '1.2.3' }, weight: 7, zone: 'zone-a' }),
      );
      assert.equal(lease.instance.id, 'a-1');
      assert.equal(lease.instance.health, 'passing');
      const snap = await r.list(service);
      assert.equal(snap.service, service);
      assert.deepEqual(snap.instances, [
        {
          id: 'a-1',
          service,
          address: '127.0.0.1',
          port: 9001,
          tags: ['v1', 'blue'],
          meta: { version: '1.2.3' },
          weight: 7,
          zone: 'zone-a',
          health: 'passing',
        },
      ]);
      assert.ok(snap.revision > 0, 'a service with instances has a revision > 0');
    },
  },
  {
    name: 'list of an unknown service is empty, not an error',
    async run(ctx) {
      const r = await ctx.connect();
      const snap = await r.list(uniqueService('none'));
      assert.deepEqual(snap.instances, []);
    },
  },
  {
    name: 'services() lists a service while it has instances',
    async run(ctx) {
      const r = await ctx.connect();
      const service = uniqueService();
      const lease = await r.register(reg(service, 's-1'));
      assert.ok((await r.services()).includes(service));
      await lease.deregister();
      assert.ok(!(await r.services()).includes(service));
    },
  },
  {
    name: 'an instance id defaults from service, address and port',
    async run(ctx) {
      const r = await ctx.connect();
      const service = uniqueService();
      const lease = await r.register({ service, address: '127.0.0.1', port: 8081 });
      assert.equal(lease.instance.id, `${service}-127.0.0.1-8081`);
      assert.deepEqual(ids(await r.list(service)), [`${service}-127.0.0.1-8081`]);
    },
  },
  {
    name: 're-registering an id replaces the instance',
    async run(ctx) {
      const r = await ctx.connect();
      const service = uniqueService();
      await r.register(reg(service, 'x', { port: 1000, tags: ['old'] }));
      await r.register(reg(service, 'x', { port: 2000, tags: ['new'] }));
      const snap = await r.list(service);
      assert.equal(snap.instances.length, 1);
      assert.equal(snap.instances[0]?.port, 2000);
      assert.deepEqual(snap.instances[0]?.tags, ['new']);
    },
  },
  {
    name: 'instances are listed sorted by id',
    async run(ctx) {
      const r = await ctx.connect();
      const service = uniqueService();
      for (const id of ['c', 'a', 'b']) await r.register(reg(service, id));
      assert.deepEqual(ids(await r.list(service)), ['a', 'b', 'c']);
    },
  },
  {
    name: 'deregister removes an instance and says whether there was one',
    async run(ctx) {
      const r = await ctx.connect();
      const other = await ctx.connect();
      const service = uniqueService();
      await r.register(reg(service, 'd-1'));
      await r.register(reg(service, 'd-2'));
      assert.equal(await other.deregister(service, 'd-1'), true);
      assert.equal(await other.deregister(service, 'd-1'), false);
      assert.equal(await other.deregister(service, 'never'), false);
      assert.deepEqual(ids(await r.list(service)), ['d-2']);
    },
  },
  {
    name: 'lease.deregister removes, is idempotent, aborts lost and ends the lease',
    async run(ctx) {
      const r = await ctx.connect();
      const service = uniqueService();
      const lease = await r.register(reg(service, 'l-1'));
      const events: LeaseEvent['type'][] = [];
      lease.onEvent((e) => events.push(e.type));
      assert.equal(lease.lost.aborted, false);
      await lease.deregister();
      await lease.deregister();
      assert.equal(lease.lost.aborted, true);
      assert.deepEqual(ids(await r.list(service)), []);
      assert.deepEqual(events, ['ended']);
      await assert.rejects(lease.setHealth('passing'), (e: unknown) => isRosterError(e) && e.code === 'ROSTER_ERR_LEASE_LOST');
    },
  },
  {
    name: 'await using deregisters at the end of the scope',
    async run(ctx) {
      const r = await ctx.connect();
      const service = uniqueService();
      {
        await using lease = await r.register(reg(service, 'u-1'));
        assert.equal(lease.instance.id, 'u-1');
        assert.deepEqual(ids(await r.list(service)), ['u-1']);
      }
      assert.deepEqual(ids(await r.list(service)), []);
    },
  },
  {
    name: 'setHealth changes the instance health, and only that instance',
    async run(ctx) {
      const r = await ctx.connect();
      const service = uniqueService();
      const a = await r.register(reg(service, 'h-a'));
      await r.register(reg(service, 'h-b'));
      for (const status of ['critical', 'warning', 'passing'] as const) {
        await a.setHealth(status, `now ${status}`);
        await eventually(ctx, ctx.settleMs, async () => {
          const snap = await r.list(service);
          assert.equal(find(snap, 'h-a')?.health, status);
          assert.equal(find(snap, 'h-b')?.health, 'passing');
        });
      }
      await a.setHealth('critical');
      const healthy = await eventually(ctx, ctx.settleMs, async () => {
        const h = (await r.list(service)).instances.filter((i) => i.health === 'passing').map((i) => i.id);
        assert.deepEqual(h, ['h-b']);
        return h;
      });
      assert.deepEqual(healthy, ['h-b']);
    },
  },
  {
    name: 'a TTL registration stays passing while its lease renews it',
    async run(ctx) {
      const r = await ctx.connect();
      const service = uniqueService();
      const lease = await r.register(reg(service, 't-1', { ttl: ctx.ttlMs }));
      const renewed: number[] = [];
      lease.onEvent((e) => e.type === 'renewed' && renewed.push(e.at));
      for (let waited = 0; waited < 3 * ctx.ttlMs; waited += ctx.ttlMs / 4) await ctx.advance(ctx.ttlMs / 4);
      const snap = await r.list(service);
      assert.equal(find(snap, 't-1')?.health, 'passing');
      assert.ok(renewed.length >= 3, `expected ≥ 3 renewals in 3 TTLs, saw ${renewed.length}`);
    },
  },
  {
    name: 'a TTL registration expires when renewals stop (the client died)',
    async run(ctx) {
      const owner = await ctx.connect();
      const observer = await ctx.connect();
      const service = uniqueService();
      const lease = await owner.register(reg(service, 'e-1', { ttl: ctx.ttlMs }));
      await owner.close();
      assert.equal(lease.lost.aborted, true, 'closing the client ends its leases');
      await eventually(ctx, ctx.ttlMs + ctx.expiryGraceMs, async () => {
        const inst = find(await observer.list(service), 'e-1');
        assert.ok(inst === undefined || inst.health === 'critical', `expected e-1 gone or critical, got ${inst?.health}`);
      });
    },
  },
  {
    name: 'a lease restores a registration the registry forgot',
    async run(ctx) {
      const r = await ctx.connect();
      const other = await ctx.connect();
      const service = uniqueService();
      const lease = await r.register(reg(service, 'f-1', { ttl: ctx.ttlMs, tags: ['keep'] }));
      const events: LeaseEvent['type'][] = [];
      lease.onEvent((e) => events.push(e.type));
      assert.equal(await other.deregister(service, 'f-1'), true);
      const back = await eventually(ctx, ctx.ttlMs + ctx.settleMs, async () => {
        const inst = find(await other.list(service), 'f-1');
        assert.ok(inst, 'f-1 should be registered again');
        return inst;
      });
      assert.deepEqual(back.tags, ['keep']);
      assert.ok(events.includes('forgotten') && events.includes('restored'), `events: ${events.join(',')}`);
      assert.equal(lease.lost.aborted, false);
    },
  },
  {
    name: 'watch yields the current state first, then each change with increasing revisions',
    async run(ctx) {
      const r = await ctx.connect();
      const writer = await ctx.connect();
      const service = uniqueService();
      await writer.register(reg(service, 'w-1'));
      const ac = new AbortController();
      const it = r.watch(service, { signal: ac.signal })[Symbol.asyncIterator]();
      try {
        const first = await nextItem(ctx, it, ctx.settleMs);
        assert.equal(first.done, false);
        assert.deepEqual(ids(first.value), ['w-1']);
        await writer.register(reg(service, 'w-2'));
        const second = await nextMatching(ctx, it, (s) => s.instances.length === 2);
        assert.ok(second.revision > first.value.revision, 'revision must increase');
        await writer.deregister(service, 'w-1');
        const third = await nextMatching(ctx, it, (s) => ids(s).join() === 'w-2');
        assert.ok(third.revision > second.revision, 'revision must increase');
      } finally {
        ac.abort();
      }
    },
  },
  {
    name: 'watch of an empty service yields an empty snapshot first',
    async run(ctx) {
      const r = await ctx.connect();
      const ac = new AbortController();
      const service = uniqueService();
      const it = r.watch(service, { signal: ac.signal })[Symbol.asyncIterator]();
      try {
        const first = await nextItem(ctx, it, ctx.settleMs);
        assert.equal(first.done, false);
        assert.deepEqual(first.value.instances, []);
        await r.register(reg(service, 'n-1'));
        await nextMatching(ctx, it, (s) => ids(s).join() === 'n-1');
      } finally {
        ac.abort();
      }
    },
  },
  {
    name: 'watch delivers health changes',
    async run(ctx) {
      const r = await ctx.connect();
      const service = uniqueService();
      const lease = await r.register(reg(service, 'hw-1'));
      const ac = new AbortController();
      const it = r.watch(service, { signal: ac.signal })[Symbol.asyncIterator]();
      try {
        await nextMatching(ctx, it, (s) => find(s, 'hw-1')?.health === 'passing');
        await lease.setHealth('critical', 'down');
        await nextMatching(ctx, it, (s) => find(s, 'hw-1')?.health === 'critical');
      } finally {
        ac.abort();
      }
    },
  },
  {
    name: 'watch gives a slow consumer the newest snapshot, not a backlog',
    async run(ctx) {
      const r = await ctx.connect();
      const service = uniqueService();
      const ac = new AbortController();
      const it = r.watch(service, { signal: ac.signal })[Symbol.asyncIterator]();
      try {
        await nextItem(ctx, it, ctx.settleMs);
        for (let i = 0; i < 10; i++) await r.register(reg(service, `b-${i}`));
        await ctx.advance(ctx.settleMs);
        const next = await nextItem(ctx, it, ctx.settleMs);
        assert.equal(next.done, false);
        assert.equal(next.value.instances.length, 10, 'the first item read after the burst must be the newest state');
      } finally {
        ac.abort();
      }
    },
  },
  {
    name: 'watch ends without error when its signal aborts',
    async run(ctx) {
      const r = await ctx.connect();
      const ac = new AbortController();
      const it = r.watch(uniqueService(), { signal: ac.signal })[Symbol.asyncIterator]();
      await nextItem(ctx, it, ctx.settleMs);
      const pending = it.next();
      ac.abort();
      const end = await within(ctx, pending, ctx.settleMs, 'end of watch after abort');
      assert.equal(end.done, true);
    },
  },
  {
    name: 'watch ends without error when the client closes',
    async run(ctx) {
      const r = await ctx.connect();
      const it = r.watch(uniqueService())[Symbol.asyncIterator]();
      await nextItem(ctx, it, ctx.settleMs);
      const pending = it.next();
      await r.close();
      const end = await within(ctx, pending, ctx.settleMs, 'end of watch after close');
      assert.equal(end.done, true);
    },
  },
  {
    name: 'a watch reports an unreachable registry through onError and stays open',
    async run(ctx) {
      assert.ok(ctx.unreachable, 'give registryContract an `unreachable` client, or skip this clause with the reason');
      const r = await ctx.unreachable();
      const errors: unknown[] = [];
      const ac = new AbortController();
      const it = r.watch(uniqueService(), { signal: ac.signal, onError: (e) => errors.push(e) })[Symbol.asyncIterator]();
      let ended: IteratorResult<Snapshot> | Error | undefined;
      const pending = it.next().then(
        (result) => (ended = result),
        (error: unknown) => (ended = error instanceof Error ? error : new Error(safeString(error))),
      );
      for (let waited = 0; errors.length < 2 && ended === undefined && waited < UNREACHABLE_LIMIT_MS; waited += STEP_MS) {
        await realSleep(STEP_MS);
      }
      assert.equal(ended, undefined, 'the watch ended (or threw) while the registry was unreachable; it must keep retrying');
      assert.ok(errors.length >= 2, `onError was told about ${errors.length} retried error(s) in ${UNREACHABLE_LIMIT_MS} ms; expected ≥ 2`);
      for (const error of errors) {
        assert.ok(error instanceof RosterError && error.retryable, `onError got ${String(error)}; expected a retryable RosterError`);
      }
      ac.abort();
      await Promise.race([pending, realSleep(UNREACHABLE_LIMIT_MS)]);
      assert.deepEqual(ended, { value: undefined, done: true }, 'the watch did not end without error when its signal aborted');
    },
  },
  {
    name: 'revisions of a service never go backwards',
    async run(ctx) {
      const r = await ctx.connect();
      const service = uniqueService();
      let last = (await r.list(service)).revision;
      for (let i = 0; i < 5; i++) {
        await r.register(reg(service, `r-${i}`));
        const now = (await r.list(service)).revision;
        assert.ok(now > last, `revision went from ${last} to ${now} after a change`);
        last = now;
      }
      await r.deregister(service, 'r-0');
      assert.ok((await r.list(service)).revision > last);
    },
  },
  {
    name: 'concurrent registrations all land',
    async run(ctx) {
      const r = await ctx.connect();
      const service = uniqueService();
      const n = 25;
      await Promise.all(
        Array.from({ length: n }, (_, i) => r.register(reg(service, `p-${String(i).padStart(2, '0')}`, { port: 10_000 + i }))),
      );
      const snap = await r.list(service);
      assert.equal(snap.instances.length, n);
      assert.deepEqual(
        snap.instances.map((i) => i.port),
        Array.from({ length: n }, (_, i) => 10_000 + i),
      );
    },
  },
  {
    name: 'invalid registrations are rejected naming the field, and nothing is stored',
    async run(ctx) {
      const r = await ctx.connect();
      const service = uniqueService();
      const bad: [unknown, string][] = [
        [{ service, address: '127.0.0.1', port: 0 }, 'port'],
        [{ service, address: '127.0.0.1', port: 70_000 }, 'port'],
        [{ service: '', address: '127.0.0.1', port: 1 }, 'service'],
        [{ service: 'bad name!', address: '127.0.0.1', port: 1 }, 'service'],
        [{ service, address: '', port: 1 }, 'address'],
        [{ service, address: '127.0.0.1', port: 1, ttl: 'forever' }, 'ttl'],
        [{ service, address: '127.0.0.1', port: 1, ttl: 30 * 24 * 3600 * 1000 }, 'ttl'],
        [{ service, address: '127.0.0.1', port: 1, weight: 0 }, 'weight'],
        [{ service, address: '127.0.0.1', port: 1, tags: ['ok', 3] }, 'tags[1]'],
        [{ service, address: '127.0.0.1', port: 1, checks: [{ kind: 'http', url: 'ftp://x', interval: '10s' }] }, 'checks[0].url'],
        [{ service, address: '127.0.0.1', port: 1, checks: [{ kind: 'script', args: ['rm'] }] }, 'checks[0].kind'],
      ];
      for (const [input, field] of bad) {
        await assert.rejects(
          r.register(input as Registration),
          (e: unknown) => e instanceof InvalidArgumentError && e.field === field && e.message.startsWith(`${field}:`),
          `expected InvalidArgumentError on ${field} for ${JSON.stringify(input)}`,
        );
      }
      assert.deepEqual((await r.list(service)).instances, []);
    },
  },
  {
    name: 'a check of a kind the backend does not run is refused naming checks and the backend; one it runs is accepted',
    async run(ctx) {
      const r = await ctx.connect();
      const caps = r.capabilities;
      assert.equal(typeof caps?.backend, 'string', 'capabilities.backend must be a string');
      assert.ok(caps.backend.length > 0, 'capabilities.backend must not be empty');
      assert.ok(Array.isArray(caps.checkKinds), 'capabilities.checkKinds must be an array');
      for (const kind of caps.checkKinds) assert.ok(['http', 'tcp', 'ttl'].includes(kind), `unknown check kind ${kind}`);
      assert.deepEqual(r.capabilities, caps, 'capabilities must not change');
      const service = uniqueService('checks');
      const checks = {
        http: { kind: 'http', url: 'http://127.0.0.1:1/health', interval: '10s' },
        tcp: { kind: 'tcp', target: '127.0.0.1:1', interval: '10s' },
        ttl: { kind: 'ttl', ttl: '30s' },
      } as const;
      for (const kind of ['http', 'tcp', 'ttl'] as const) {
        // The unsupported check comes second, so the field names its index.
        const input = reg(service, `c-${kind}`, { ttl: ctx.ttlMs * 10, checks: [{ kind: 'ttl', ttl: '30s' }, checks[kind]] });
        const runsTtl = caps.checkKinds.includes('ttl');
        const expected = !runsTtl ? 'checks[0]' : caps.checkKinds.includes(kind) ? undefined : 'checks[1]';
        if (expected === undefined) {
          const lease = await r.register(input);
          assert.ok(ids(await r.list(service)).includes(`c-${kind}`), `a ${kind} check the backend runs must be accepted`);
          await lease.deregister();
          continue;
        }
        await assert.rejects(
          r.register(input),
          (e: unknown) =>
            e instanceof InvalidArgumentError && e.field === expected && e.message.includes(caps.backend) && /checks?/.test(e.message),
          `expected InvalidArgumentError on ${expected} naming ${caps.backend} for a ${kind} check`,
        );
      }
      assert.deepEqual(ids(await r.list(service)), [], 'a refused registration must store nothing');
    },
  },
  {
    name: 'a closed client refuses further calls with ClosedError',
    async run(ctx) {
      const r = await ctx.connect();
      await r.close();
      await r.close();
      await assert.rejects(r.register(reg(uniqueService(), 'z')), (e: unknown) => e instanceof ClosedError);
      await assert.rejects(r.list(uniqueService()), (e: unknown) => e instanceof ClosedError);
    },
  },
];
