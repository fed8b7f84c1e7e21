/**
 * The seed's example client, in TypeScript with roster: discovers the service, balances its
 * calls over the healthy instances, calls /api, and retries a failed call on another instance.
 *
 *   node examples/dist/client.js [--count 10] [--interval 200] [--service my-service] [--json]
 *   node examples/dist/client.js --registry etcd://127.0.0.1:2379      # etcd instead of Consul
 *
 * The registry is `--registry`, else ROSTER_REGISTRY, else consul://127.0.0.1:8500.
 * `--count 0` calls until Ctrl-C. `--json` prints one JSON object per line (for programs such
 * as the demo): `{ call, instance, status, ms, retries }` or `{ call, error, retries }` (retries
 * so far), then `{ summary, calls, failed, retries }`.
 *
 * Where the seed asks the registry on every call and balances by hand, a `serviceClient` keeps
 * a watch-driven cache of the instances (the seed's best practice 4: cache, less load on the
 * registry), picks one per call without waiting on the registry, and retries a failed call on
 * an instance not tried yet (best practice 3), within a retry budget.
 */
import { parseArgs } from 'node:util';
import { connect, type Instance, type Registry, roundRobin, serviceClient } from '@rosterjs/roster';

const { values: args } = parseArgs({
  options: {
    registry: { type: 'string', default: process.env.ROSTER_REGISTRY ?? 'consul://127.0.0.1:8500' },
    service: { type: 'string', default: 'my-service' },
    count: { type: 'string', default: '10' },
    interval: { type: 'string', default: '200' },
    json: { type: 'boolean', default: false },
  },
});
const count = Number(args.count);
const intervalMs = Number(args.interval);

const say = (human: string, json: object) => console.log(args.json ? JSON.stringify(json) : human);

/** Discovery (the seed's `Discover`): waits, at most `timeoutMs`, until some instance passes its checks. */
async function discover(registry: Registry, service: string, timeoutMs: number): Promise<readonly Instance[]> {
  for await (const snapshot of registry.watch(service, { signal: AbortSignal.timeout(timeoutMs) })) {
    const passing = snapshot.instances.filter((i) => i.health === 'passing');
    if (passing.length > 0) return passing;
  }
  return [];
}

const registry = connect(args.registry);
const found = await discover(registry, args.service, 10_000);
if (found.length === 0) {
  console.error(`no passing instance of ${args.service} at ${args.registry} after 10 s (start some: node examples/dist/server.js)`);
  await registry.close();
  process.exit(1);
}
say(`found ${found.length} passing instances of ${args.service}: ${found.map((i) => `${i.id} at ${i.address}:${i.port}`).join(', ')}`, {
  found: found.map((i) => i.id),
});

// Balancing (the seed's LoadBalancer.RoundRobin) and calling, with retries on another instance.
const client = serviceClient({ registry, service: args.service, strategy: roundRobin() });

const stop = new AbortController();
process.once('SIGINT', () => stop.abort());
process.once('SIGTERM', () => stop.abort());

const perInstance: Record<string, number> = {};
let failed = 0;
let calls = 0;
while (!stop.signal.aborted && (count === 0 || calls < count)) {
  calls++;
  const started = performance.now();
  try {
    const response = await client.request('/api');
    const body = (await response.body.json()) as { instance: string };
    const ms = Math.round((performance.now() - started) * 10) / 10;
    perInstance[body.instance] = (perInstance[body.instance] ?? 0) + 1;
    const { status } = response;
    const { retries } = client.stats();
    say(`call ${calls} → ${body.instance} (${status}, ${ms} ms)`, { call: calls, instance: body.instance, status, ms, retries });
  } catch (error) {
    failed++;
    const message = error instanceof Error ? error.message : String(error);
    say(`call ${calls} failed: ${message}`, { call: calls, error: message, retries: client.stats().retries });
  }
  if (intervalMs > 0) await new Promise((resolve) => setTimeout(resolve, intervalMs));
}

const { retries } = client.stats();
say(`${calls} calls, ${failed} failed, ${retries} retried on another instance; per instance: ${JSON.stringify(perInstance)}`, {
  summary: perInstance,
  calls,
  failed,
  retries,
});
await client.close();
await registry.close();
