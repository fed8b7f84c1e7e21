/**
 * The generated bad-input suite's child program (bundled and run by bad-input.test.ts under
 * `node --unhandled-rejections=strict`, so an unhandled rejection or uncaught exception kills it).
 *
 * For every target (a public function or constructor of `@rosterjs/roster`, `/consul`, `/etcd`),
 * fast-check draws arbitrary values for each option and argument, valid or not. A case passes
 * when it returns, resolves, or throws/rejects with a roster error (an InvalidArgumentError
 * must name a field); it fails on any other error and on a case that takes longer than
 * CASE_LIMIT_MS. Everything a case opens it closes; at the end the process must exit by itself.
 * Output: one JSON line per event (`seed`, `target`, `failure`, `done`).
 */
import fc from 'fast-check';
import { createBalancer } from '../balancer/create-balancer.js';
import { consistentHash } from '../balancer/consistent-hash.js';
import { leastRequest } from '../balancer/least-request.js';
import { outlierEjection } from '../balancer/outlier-ejection.js';
import { peakEwma } from '../balancer/peak-ewma.js';
import { random } from '../balancer/random.js';
import { roundRobin } from '../balancer/round-robin.js';
import { slowStart } from '../balancer/slow-start.js';
import { smoothWeightedRoundRobin } from '../balancer/smooth-weighted-round-robin.js';
import { weightedRandom } from '../balancer/weighted-random.js';
import { zoneAware } from '../balancer/zone-aware.js';
import { ErrorCode, isRosterError } from '../errors.js';
import { createFetch } from '../fetch/create-fetch.js';
import { retry } from '../fetch/retry.js';
import { retryBudget } from '../fetch/retry-budget.js';
import { serviceClient } from '../fetch/service-client.js';
import { timeout } from '../fetch/timeout.js';
import { connect } from '../registry/connect.js';
import { consulRegistry } from '../registry/consul/consul-registry.js';
import { etcdRegistry } from '../registry/etcd/etcd-registry.js';
import { memoryRegistry } from '../registry/memory.js';
import type { Registry } from '../registry/registry.js';
import { Resolver } from '../resolver/resolver.js';
import { validateRegistration } from '../validate.js';
import { widerTargets } from './test-support-wider.js';

export const CASE_LIMIT_MS = 3000;
const seed = Number(process.env.SEED ?? Date.now() % 2 ** 31);
const runs = Number(process.env.RUNS ?? 300);
export const say = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);

/** A closed loopback port: nothing a case builds ever reaches another address. */
export const DEAD = 'http://127.0.0.1:9';

/** Values that broke the library before (issue 12), mixed with arbitrary ones. */
const special = fc.constantFrom<unknown>(
  null,
  undefined,
  0,
  -1,
  1.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  3e9,
  1e10,
  2 ** 31,
  '',
  ' ',
  '10s',
  '-1s',
  'soon',
  '__proto__',
  'roster:x',
  '0::0',
  'a\r\nb',
  'bad name',
  true,
  false,
  [],
  // eslint-disable-next-line no-sparse-arrays -- holes are part of the bad input
  [, 'a'],
  {},
  JSON.parse('{"__proto__":"x"}') as unknown,
  new Map([['a', 'b']]),
  () => undefined,
  () => 42,
  { now: () => 0 },
  { now: () => 0, setTimeout: () => ({}) },
  { aborted: false },
  AbortSignal.abort(),
  Symbol('s'),
  10n,
);
export const bad: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: special },
  { weight: 2, arbitrary: fc.anything({ maxDepth: 2 }) },
);

/** An options object over `keys` (each bad or absent, sometimes an unknown key), or a bad value instead. */
export function optionsOf(keys: readonly string[]): fc.Arbitrary<unknown> {
  const record = fc.dictionary(fc.constantFrom(...keys, 'tpyo', '__proto__'), bad, { maxKeys: 3 });
  return fc.oneof({ weight: 1, arbitrary: bad }, { weight: 4, arbitrary: record }, { weight: 1, arbitrary: fc.constant(undefined) });
}

export const instances = ['a', 'b', 'c'].map((id, i) => ({
  id,
  service: 'orders',
  address: '127.0.0.1',
  port: 8080 + i,
  tags: [],
  meta: {},
  weight: 1 + i,
  zone: i === 0 ? 'z1' : 'z2',
  health: 'passing' as const,
}));

/** Checks how a case ended. */
export function judge(error: unknown): string | undefined {
  if (!isRosterError(error)) return `not a roster error: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
  if (error.code === ErrorCode.InvalidArgument && !(typeof (error as { field?: unknown }).field === 'string')) {
    return `InvalidArgumentError without a field: ${error.message}`;
  }
  return undefined;
}

export async function bounded(run: () => Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hang: no end within ${CASE_LIMIT_MS} ms`)), CASE_LIMIT_MS);
  });
  try {
    await Promise.race([run(), limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs one case; returns false (fast-check then shrinks and reports) for a bad ending. */
export async function check(run: () => Promise<unknown>, context: () => unknown): Promise<boolean> {
  try {
    await bounded(run);
    return true;
  } catch (error) {
    const problem = error instanceof Error && error.message.startsWith('hang:') ? error.message : judge(error);
    if (problem === undefined) return true;
    say({ failure: problem, context: String(context()).slice(0, 300) });
    return false;
  }
}

const strategies: Record<string, (o: never) => unknown> = {
  roundRobin,
  random,
  weightedRandom,
  smoothWeightedRoundRobin,
  leastRequest,
  peakEwma,
  consistentHash,
  outlierEjection,
  slowStart,
  zoneAware,
};
const STRATEGY_KEYS = ['random', 'boundedLoad', 'virtualNodes', 'decay', 'defaultLatency', 'zone', 'strategy', 'panicThreshold', 'window'];

/** Opens a memory registry for one case and closes it after. */
async function withMemory<T>(use: (r: Registry) => Promise<T>): Promise<T> {
  const r = memoryRegistry();
  try {
    return await use(r);
  } finally {
    await r.close();
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each target has its own argument tuple
export type Target = readonly [string, fc.IAsyncProperty<any>, number?];

const targets: Target[] = [
  [
    'strategies and createBalancer',
    fc.asyncProperty(fc.constantFrom(...Object.keys(strategies)), optionsOf(STRATEGY_KEYS), bad, (name, options, key) =>
      check(
        async () => {
          const made = strategies[name]!(options as never);
          if (name === 'outlierEjection' || name === 'slowStart') return;
          const balancer = createBalancer({ strategy: made as never, outlierEjection: false });
          balancer.update(instances);
          balancer.picker.pick(key as never);
          balancer.close();
        },
        () => `${name}(${fc.stringify(options)}).pick(${fc.stringify(key)})`,
      ),
    ),
  ],
  [
    'createBalancer options, listeners and picks',
    fc.asyncProperty(
      optionsOf(['strategy', 'clock', 'outlierEjection', 'slowStart', 'passingQuorum']),
      bad,
      bad,
      (options, listener, key) =>
        check(
          async () => {
            const balancer = createBalancer(options as never);
            try {
              balancer.subscribe(listener as never);
            } finally {
              balancer.update(instances);
              balancer.picker.pick(key as never);
              balancer.close();
            }
          },
          () => `createBalancer(${fc.stringify(options)}) subscribe(${fc.stringify(listener)})`,
        ),
    ),
  ],
  [
    'retry, retryBudget, timeout',
    fc.asyncProperty(
      optionsOf(['maxAttempts', 'methods', 'statuses', 'retryOn', 'backoff', 'budget', 'clock', 'random', 'onEvent']),
      optionsOf(['ratio', 'perSecond', 'window', 'clock']),
      bad,
      optionsOf(['clock']),
      (r, b, limit, t) =>
        check(
          async () => {
            try {
              retry(r as never);
            } finally {
              try {
                retryBudget(b as never);
              } finally {
                timeout(limit as never, t as never);
              }
            }
          },
          () => `retry(${fc.stringify(r)}) retryBudget(${fc.stringify(b)}) timeout(${fc.stringify(limit)}, ${fc.stringify(t)})`,
        ),
    ),
  ],
  [
    'createFetch and its calls',
    fc.asyncProperty(
      optionsOf(['strategy', 'balancer', 'retry', 'timeout', 'dispatcher', 'readyTimeout', 'middleware', 'clock', 'random']),
      fc.oneof(bad, fc.constantFrom('http://orders/x', 'http://orders', 'https://orders/a?b', 'ftp://orders/', 'http://bad name/')),
      optionsOf(['method', 'headers', 'body', 'signal', 'key', 'idempotent']),
      fc.boolean(),
      (options, url, init, viaFetch) =>
        withMemory((registry) =>
          check(
            async () => {
              const o = typeof options === 'object' && options !== null ? { ...options, registry, readyTimeout: 0 } : options;
              const f = createFetch(o as never);
              try {
                if (viaFetch) await f(url as never, init as never);
                else await f.request(url as never, init as never);
              } finally {
                await f.close();
              }
            },
            () => `createFetch(${fc.stringify(options)}) ${viaFetch ? 'fetch' : 'request'}(${fc.stringify(url)}, ${fc.stringify(init)})`,
          ),
        ),
    ),
  ],
  [
    'serviceClient',
    fc.asyncProperty(optionsOf(['service', 'scheme', 'retry', 'timeout', 'clock']), bad, (options, path) =>
      withMemory((registry) =>
        check(
          async () => {
            const o =
              typeof options === 'object' && options !== null ? { service: 'orders', ...options, registry, readyTimeout: 0 } : options;
            const c = serviceClient(o as never);
            try {
              await c.request(path as never);
            } finally {
              await c.close();
            }
          },
          () => `serviceClient(${fc.stringify(options)}).request(${fc.stringify(path)})`,
        ),
      ),
    ),
  ],
  [
    'memory registry calls and leases',
    fc.asyncProperty(
      fc.oneof(bad, fc.record({ service: fc.oneof(bad, fc.constant('orders')), address: bad, port: fc.oneof(bad, fc.integer()) })),
      bad,
      bad,
      bad,
      optionsOf(['signal', 'onError', 'onReset', 'onRecover']),
      (registration, service, status, output, options) =>
        withMemory((r) =>
          check(
            async () => {
              try {
                await r.register(registration as never, options as never);
              } catch {
                // Judged below through the calls that follow; a bad registration is expected.
              }
              await check(
                () => r.list(service as never, options as never),
                () => 'list',
              );
              const lease = await r.register({ service: 'orders', address: '127.0.0.1', port: 1 });
              try {
                lease.onEvent(status as never);
              } catch (error) {
                if (judge(error)) throw error;
              }
              try {
                await lease.setHealth(status as never, output as never, options as never);
              } finally {
                await lease.deregister();
              }
              const watch = r.watch(service as never, options as never);
              for await (const snapshot of watch) {
                void snapshot;
                break;
              }
            },
            () =>
              `register(${fc.stringify(registration)}) setHealth(${fc.stringify(status)}, ${fc.stringify(output)}, ${fc.stringify(options)})`,
          ),
        ),
    ),
  ],
  [
    'Resolver',
    fc.asyncProperty(optionsOf(['service', 'clock', 'random', 'backoff', 'snapshotFile', 'rideThrough']), bad, (options, signal) =>
      withMemory((registry) =>
        check(
          async () => {
            const o =
              typeof options === 'object' && options !== null
                ? { service: 'orders', ...options, registry, snapshotFile: undefined }
                : options;
            const resolver = new Resolver(o as never);
            try {
              await resolver.ready(signal as never);
            } finally {
              resolver.close();
            }
          },
          () => `new Resolver(${fc.stringify(options)}).ready(${fc.stringify(signal)})`,
        ),
      ),
    ),
  ],
  [
    'connect, consulRegistry, etcdRegistry (constructed and closed, never called)',
    fc.asyncProperty(
      fc.oneof(
        bad,
        fc.constantFrom(
          'memory://fuzz',
          `${DEAD}`,
          'consul://127.0.0.1:9',
          'consul://u:p@127.0.0.1:9',
          'consul://127.0.0.1:9/p',
          'consul://127.0.0.1:9?token=a%0Ab',
          'etcd://127.0.0.1:9',
          'etcd://u:p@127.0.0.1:9',
          'ftp://127.0.0.1',
        ),
      ),
      optionsOf(['consul', 'etcd', 'memory']),
      optionsOf([
        'token',
        'tokenFile',
        'tls',
        'datacenter',
        'timeoutMs',
        'dispatcher',
        'clock',
        'random',
        'watchWaitMs',
        'backoff',
        'checkEveryMs',
      ]),
      optionsOf(['prefix', 'username', 'password', 'tls', 'requestTimeoutMs', 'checkEveryMs', 'backoff', 'clock', 'random']),
      (url, options, consul, etcd) =>
        check(
          async () => {
            // Every URL a client could contact is on loopback: strings that are not URLs fail first.
            const safe = typeof url === 'string' && !/^(consul|etcd|https?)/i.test(url) ? 'memory://fuzz' : url;
            const opened: Registry[] = [];
            try {
              opened.push(connect(safe as never, options as never));
            } finally {
              try {
                const o = typeof consul === 'object' && consul !== null ? { ...consul, url: DEAD } : consul;
                opened.push(consulRegistry(o as never));
              } finally {
                try {
                  const o = typeof etcd === 'object' && etcd !== null ? { ...etcd, url: 'etcd://127.0.0.1:9' } : etcd;
                  opened.push(etcdRegistry(o as never));
                } finally {
                  await Promise.all(opened.map((r) => r.close()));
                }
              }
            }
          },
          () => `connect(${fc.stringify(url)}, ${fc.stringify(options)}) consul(${fc.stringify(consul)}) etcd(${fc.stringify(etcd)})`,
        ),
    ),
  ],
  [
    'validateRegistration',
    fc.asyncProperty(
      fc.record(
        {
          service: fc.oneof(bad, fc.constant('orders')),
          address: fc.oneof(bad, fc.constant('127.0.0.1')),
          port: fc.oneof(bad, fc.integer()),
          id: bad,
          tags: bad,
          meta: bad,
          weight: bad,
          zone: bad,
          ttl: bad,
          checks: fc.oneof(bad, fc.array(fc.dictionary(fc.constantFrom('kind', 'url', 'interval', 'id', 'headers', 'ttl'), bad))),
        },
        { requiredKeys: ['service', 'address', 'port'] },
      ),
      (registration) =>
        check(
          async () => validateRegistration(registration),
          () => fc.stringify(registration),
        ),
    ),
  ],
];

/** Every export a target above covers (the parent checks that no public function is missing). */
const COVERED_HERE = [
  'createBalancer',
  'roundRobin',
  'random',
  'weightedRandom',
  'smoothWeightedRoundRobin',
  'leastRequest',
  'peakEwma',
  'consistentHash',
  'outlierEjection',
  'slowStart',
  'zoneAware',
  'retry',
  'retryBudget',
  'timeout',
  'createFetch',
  'serviceClient',
  'memoryRegistry',
  'Resolver',
  'connect',
  'consulRegistry',
  'etcdRegistry',
  'validateRegistration',
];
const wider = await widerTargets();
targets.push(...wider.targets);
say({ seed, runs });
let total = 0;
for (const [name, property, share = 1] of targets) {
  const result = await fc.check(property, { seed, numRuns: Math.max(1, Math.round(runs * share)), endOnFailure: true });
  total += result.numRuns;
  say({
    target: name,
    runs: result.numRuns,
    failed: result.failed,
    ...(result.failed ? { counterexample: fc.stringify(result.counterexample).slice(0, 500), seed } : {}),
  });
  if (result.failed) process.exitCode = 1;
}
await wider.close();
say({ done: true, cases: total, covered: [...new Set([...COVERED_HERE, ...wider.covered])].sort(), exempt: wider.exempt });
