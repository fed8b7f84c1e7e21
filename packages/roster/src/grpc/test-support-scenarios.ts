/**
 * The gRPC end-to-end scenarios, run by grpc-serve.test.ts (registry on roster serve) and
 * grpc-etcd.test.ts (registry on real etcd) with the same assertions: real grpc-js servers and
 * clients on 127.0.0.1, a `roster:///` target, roster's default policy `roster_p2c_ewma` and its
 * default retry policy. Every load loop is bounded in calls and time.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { announce } from '../agent/announce.js';
import type { Announcement } from '../agent/announcement.js';
import type { HealthStatus } from '../model.js';
import type { Lease, Registry } from '../registry/registry.js';
import { registerGrpcResolver } from './register-grpc-resolver.js';
import {
  type ChildEcho,
  count,
  delay,
  type EchoInstance,
  echoClient,
  type GrpcLoadFailure,
  eventually,
  startChildEcho,
  startEcho,
  startGrpcLoad,
  who,
  type WhoReply,
} from './test-support.js';

/** The registry under test: clients of it, and a way to take it down and bring it back. */
export interface GrpcBackend {
  /** A new client of the registry (closed by the suite). */
  connect(): Registry;
  /** Makes the registry unreachable (stops the server process or member). */
  down(): Promise<void>;
  /** Brings it back on the same address with the same data. */
  up(): Promise<void>;
}

const RATE = 200;
const CALLS = 1000;
/** How long the calls the killed instance holds ask to wait, ms. */
const HOLD_MS = 6000;
/** Answers begun before a kill that its connection's loss may cost (no client may retry them). */
const MAX_BEGUN_AT_KILL = 3;
/** How long after the kill such a loss is reported, ms (the client reads the reset). */
const KILL_WINDOW_MS = 5000;

/** Registers the suite's tests; `backend()` is read in beforeAll. */
export function grpcScenarios(backend: () => GrpcBackend): void {
  const registries: Registry[] = [];
  const servers: EchoInstance[] = [];
  const children: ChildEcho[] = [];
  const leases: Lease[] = [];
  const announcements: Announcement[] = [];
  const clients: { close(): void }[] = [];
  let registry: Registry;
  let announcer: Registry;

  const echo = async (id: string, delayMs = 1) => {
    const s = await startEcho(id, delayMs);
    servers.push(s);
    return s;
  };
  const register = async (service: string, id: string, port: number, health: HealthStatus = 'passing') => {
    const lease = await announcer.register({ service, id, address: '127.0.0.1', port, ttl: '30s' });
    leases.push(lease);
    if (health !== 'passing') await lease.setHealth(health, 'set by the test');
    return lease;
  };
  const client = (service: string) => {
    const c = echoClient(`roster:///${service}`);
    clients.push(c);
    return c;
  };
  /** Calls until every id in `ids` answered (bounded), so the channel is connected to each. */
  const warm = async (c: ReturnType<typeof client>, ids: readonly string[]) => {
    const seen = new Set<string>();
    const ok = await eventually(async () => {
      seen.add((await who(c)).instance);
      return ids.every((id) => seen.has(id));
    }, 15_000);
    expect(ok, `warm-up saw ${[...seen].join(', ')}`).toBe(true);
  };

  beforeAll(() => {
    const b = backend();
    registry = b.connect();
    announcer = b.connect();
    registries.push(registry, announcer);
    registerGrpcResolver({ registry });
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.allSettled(announcements.map((a) => a.drain()));
    await Promise.allSettled(leases.map((l) => l.deregister()));
    for (const s of servers) s.close();
    await Promise.allSettled(children.map((c) => c.kill()));
    await Promise.allSettled(registries.map((r) => r.close()));
  });

  it('unary and server-streaming calls reach only passing instances; an instance registered later starts receiving calls', async () => {
    const service = 'echo-basic';
    const [a, b, w, c] = await Promise.all(['a', 'b', 'w', 'c'].map((id) => echo(id)));
    await register(service, 'a', a!.port);
    await register(service, 'b', b!.port);
    await register(service, 'w', w!.port, 'warning');
    await register(service, 'c', c!.port, 'critical');
    const echoes = client(service);

    const seen: Record<string, number> = {};
    for (let i = 0; i < 60; i++) {
      const reply = await who(echoes);
      seen[reply.instance] = (seen[reply.instance] ?? 0) + 1;
    }
    // P2C over peak EWMA may favour one of two equal instances for a while (sequential calls:
    // nothing in flight, and an early slow call decays over seconds); what matters is where none go.
    expect(['a', 'b']).toEqual(expect.arrayContaining(Object.keys(seen)));
    expect((seen.a ?? 0) + (seen.b ?? 0)).toBe(60);

    // The same target with ?lb=roster_weighted (smooth weighted round robin, equal weights): strict alternation.
    const weighted = client(`${service}?lb=roster_weighted`);
    await warm(weighted, ['a', 'b']);
    const spread: Record<string, number> = {};
    for (let i = 0; i < 40; i++) {
      const reply = await who(weighted);
      spread[reply.instance] = (spread[reply.instance] ?? 0) + 1;
    }
    expect(spread).toEqual({ a: 20, b: 20 });

    for (let i = 0; i < 10; i++) {
      const replies = await count(echoes, 5);
      expect(replies.map((r) => r.seq)).toEqual([0, 1, 2, 3, 4]);
      expect(new Set(replies.map((r) => r.instance)).size).toBe(1);
      expect(['a', 'b']).toContain(replies[0]!.instance);
    }
    expect(w!.arrivals.length + c!.arrivals.length).toBe(0);

    const d = await echo('d');
    await register(service, 'd', d.port);
    const reached = await eventually(async () => (await who(echoes)).instance === 'd' || d.arrivals.length > 0, 15_000);
    expect(reached).toBe(true);
  });

  it(`a draining instance gets no new calls and no call fails (${CALLS} calls at ${RATE}/s, one of three drains)`, async () => {
    const service = 'echo-drain';
    const instances = await Promise.all(['d1', 'd2', 'd3'].map((id) => echo(id)));
    const [, drained] = instances as [EchoInstance, EchoInstance, EchoInstance];
    const own = await Promise.all(
      instances.map((s) =>
        announce({
          registry: announcer,
          service,
          id: s.id,
          address: '127.0.0.1',
          port: s.port,
          server: s.server,
          ttl: '30s',
          signals: false,
          lagWatchdog: false,
          drain: { propagationMs: 2000, timeoutMs: 5000 },
        }),
      ),
    );
    announcements.push(...own);
    const echoes = client(service);
    await warm(echoes, ['d1', 'd2', 'd3']);

    const load = startGrpcLoad(echoes, RATE, 30_000, CALLS);
    await delay(1000);
    let propagatedAt = Number.POSITIVE_INFINITY;
    own[1]!.onEvent((event) => {
      if (event.type === 'drain' && event.phase === 'propagated') propagatedAt = performance.now();
    });
    const drain = await own[1]!.drain();
    const result = await load.finish();

    expect(result.failures).toEqual([]);
    expect(result.calls).toBeGreaterThanOrEqual(CALLS);
    expect(drain).toMatchObject({ marked: true, deregistered: true, forcedConnections: 0, errors: [] });
    expect(drained.arrivals.filter((t) => t > propagatedAt)).toEqual([]);
    expect(result.byInstance.d2, 'the drained instance served calls before its drain').toBeGreaterThan(0);
    // It stopped accepting calls: a direct channel to it gets UNAVAILABLE.
    const direct = echoClient(`ipv4:127.0.0.1:${drained.port}`);
    clients.push(direct);
    await expect(who(direct, 3000)).rejects.toMatchObject({ code: 14 });
  });

  it(`a killed instance costs no failed call with retries on (${CALLS} calls at ${RATE}/s, one of three SIGKILLed)`, async () => {
    const service = 'echo-kill';
    const [k1, k2] = await Promise.all([echo('k1'), echo('k2')]);
    const victim = await startChildEcho('k3');
    children.push(victim);
    await register(service, 'k1', k1!.port);
    await register(service, 'k2', k2!.port);
    // Registered by the test, which keeps its lease alive: the registry never learns of the kill.
    await register(service, 'k3', victim.port);
    const echoes = client(service);
    await warm(echoes, ['k1', 'k2', 'k3']);

    const load = startGrpcLoad(echoes, RATE, 30_000, CALLS);
    await delay(1500);
    // Calls the victim holds when it dies (they ask for a 6 s answer): only a retry on another
    // instance can answer them (grpc-js retries a call whose answer has not begun). Started one
    // by one until the victim holds two (bounded).
    const held: Promise<WhoReply>[] = [];
    const holding = () => victim.arrivals.filter((ms) => ms === HOLD_MS).length;
    const caught = await eventually(() => {
      if (held.length < 30) held.push(who(echoes, 30_000, HOLD_MS));
      return holding() >= 2;
    }, 10_000);
    expect(caught, `the victim held ${holding()} of ${held.length} long calls`).toBe(true);
    const killedAt = Math.round(performance.now());
    await victim.kill();
    const heldReplies = await Promise.allSettled(held);
    const result = await load.finish();

    // Every call the kill could have cost is retried — except an answer the victim had already
    // begun sending (headers read by the client, the rest lost with the connection): gRPC commits
    // a call once its answer begins and no client may retry it (D133, D188). Such a drop happens
    // only at the kill, on the victim's connection: a few at most, within the kill's moment.
    const atTheKill = (f: GrpcLoadFailure) => f.code === 14 && f.answerBegun && f.at >= killedAt && f.at <= killedAt + KILL_WINDOW_MS;
    expect(
      result.failed.filter((f) => !atTheKill(f)).map((f) => f.text),
      `killed at ${killedAt} ms`,
    ).toEqual([]);
    expect(result.failed.length, `answers begun before the kill at ${killedAt} ms: ${result.failures.join('; ')}`).toBeLessThanOrEqual(
      MAX_BEGUN_AT_KILL,
    );
    expect(result.calls).toBeGreaterThanOrEqual(CALLS);
    expect(result.byInstance.k3, 'the victim served calls before it was killed').toBeGreaterThan(0);
    const answeredBy = heldReplies.map((r) => (r.status === 'fulfilled' ? r.value.instance : `failed: ${String(r.reason)}`));
    expect(
      answeredBy.filter((id) => id !== 'k1' && id !== 'k2'),
      'held calls answered by another instance',
    ).toEqual([]);
  }, 60_000);

  it(`the registry down for 10 s under load: 0 failed calls (stale-on-error, never an empty list)`, async () => {
    const service = 'echo-outage';
    const instances = await Promise.all(['o1', 'o2', 'o3'].map((id) => echo(id)));
    for (const s of instances) await register(service, s.id, s.port);
    const echoes = client(service);
    await warm(echoes, ['o1', 'o2', 'o3']);

    const load = startGrpcLoad(echoes, RATE, 13_000, 2600);
    await delay(1000);
    const b = backend();
    await b.down();
    const probe = await registry.list(service).then(
      () => 'answered',
      () => 'unreachable',
    );
    expect(probe, 'the registry really is down').toBe('unreachable');
    await delay(10_000);
    await b.up();
    const result = await load.finish();

    expect(result.failures).toEqual([]);
    expect(result.calls).toBeGreaterThanOrEqual(2000);
    for (const s of instances) expect(result.byInstance[s.id], s.id).toBeGreaterThan(0);
  });
}
