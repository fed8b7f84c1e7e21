/**
 * The generated bad-input suite, widened: `announce()`, the `/health` and `/grpc` entries,
 * `undiciTransport`, `compose`, `TypedEvent`, calls (not only constructors) of the Consul backend
 * against a real roster serve and of the etcd backend against a real etcd (both started once by
 * bad-input.test.ts, URLs in ROSTER_URL / ETCD_URL), and every other public function of every
 * entry with arbitrary arguments (`sweep`). Every network target is on loopback: probes only
 * ever get loopback URLs, and no case resolves a name.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { announce } from '../agent/announce.js';
import { systemClock } from '../clock.js';
import { compose } from '../fetch/compose.js';
import { undiciTransport } from '../fetch/undici-transport.js';
import { TypedEvent } from '../internal/typed-event.js';
import * as grpcEntry from '../grpc/index.js';
import * as healthEntry from '../health/index.js';
import * as mainEntry from '../index.js';
import { consulRegistry } from '../registry/consul/consul-registry.js';
import * as consulEntry from '../registry/consul/index.js';
import { etcdRegistry } from '../registry/etcd/etcd-registry.js';
import * as etcdEntry from '../registry/etcd/index.js';
import { memoryRegistry } from '../registry/memory.js';
import type { Registry } from '../registry/registry.js';
import { uniqueService } from '../testing/contract-clauses.js';
import { FakeClock } from '../testing/fake-clock.js';
import { bad, check, DEAD, judge, optionsOf, type Target } from './test-support.js';

/** Public functions that a sweep with arbitrary arguments must not call, with the reason. */
export const NOT_SWEPT: Readonly<Record<string, string>> = {
  announce: 'its own target (registers, installs signal handlers)',
  startCheck: 'its own target (probes only loopback URLs)',
  registerGrpcResolver: 'its own target (registers with grpc-js globally)',
  registerGrpcLoadBalancers: 'its own target',
  addGrpcHealthService: 'its own target',
  undiciTransport: 'its own target (sends to a dead loopback port only)',
  compose: 'its own target',
  TypedEvent: 'its own target',
  sleep: 'its own target (a clock that never fires keeps it waiting, as it should)',
  resolveConsulToken: 'reads the file it is given: swept with loopback-free, missing paths in its own target',
  registryContract: 'declares vitest tests: its input is a test author’s code, not run outside vitest',
  runClause: 'runs a contract clause against the registry a test author gives; not a library entry point',
  // Already covered by the targets of test-support.ts.
  createBalancer: 'test-support.ts',
  Resolver: 'test-support.ts',
  connect: 'test-support.ts',
  consulRegistry: 'test-support.ts and the consul calls target',
  etcdRegistry: 'test-support.ts and the etcd calls target',
  memoryRegistry: 'test-support.ts',
  createFetch: 'test-support.ts',
  serviceClient: 'test-support.ts',
};

/** The entries whose every public function must be covered. */
export const ENTRIES: Readonly<Record<string, Record<string, unknown>>> = {
  '@rosterjs/roster': mainEntry,
  '@rosterjs/roster/health': healthEntry,
  '@rosterjs/roster/consul': consulEntry,
  '@rosterjs/roster/etcd': etcdEntry,
  '@rosterjs/roster/grpc': grpcEntry,
  // The testing entry without registryContract/runClause (they import vitest; see NOT_SWEPT).
  '@rosterjs/roster/testing': { FakeClock, uniqueService },
};

const isClass = (f: unknown) => typeof f === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(f));

/** Closes whatever a call returned that holds resources (a runner, a client, a timer). */
async function release(value: unknown): Promise<void> {
  if (typeof value !== 'object' || value === null) return;
  for (const method of ['stop', 'close', 'release', 'dispose']) {
    const fn = (value as Record<string, unknown>)[method];
    if (typeof fn === 'function') {
      try {
        await (fn as () => unknown).call(value);
      } catch {
        // Releasing is best effort; the call itself was judged.
      }
    }
  }
}

/** A registration that is valid, with fields drawn bad some of the time. */
function registrationArb(): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 1, arbitrary: bad },
    {
      weight: 3,
      arbitrary: fc.record({
        service: fc.oneof(fc.constant('fuzz'), bad),
        address: fc.oneof(fc.constant('127.0.0.1'), bad),
        port: fc.oneof(fc.integer({ min: 1, max: 65535 }), bad),
        id: fc.oneof(fc.constant('f-1'), bad),
        tags: fc.oneof(fc.constant(['a']), bad),
        meta: fc.oneof(fc.constant({ v: '1' }), bad),
        ttl: fc.oneof(fc.constant('30s'), bad),
      }),
    },
  );
}

/** Registry calls with arbitrary arguments on a real backend client. */
function registryCalls(name: string, open: () => Registry): Target {
  return [
    name,
    fc.asyncProperty(
      registrationArb(),
      bad,
      bad,
      bad,
      optionsOf(['signal', 'onError', 'onReset', 'onRecover']),
      (reg, service, status, output, o) =>
        check(
          async () => {
            const r = open();
            try {
              try {
                const lease = await r.register(reg as never, o as never);
                try {
                  try {
                    lease.onEvent(status as never);
                  } catch (error) {
                    if (judge(error)) throw error;
                  }
                  await lease.setHealth(status as never, output as never, o as never);
                } finally {
                  await lease.deregister();
                }
              } catch (error) {
                if (judge(error)) throw error;
              }
              for (const call of [
                () => r.list(service as never, o as never),
                () => r.services(o as never),
                () => r.deregister(service as never, output as never, o as never),
              ]) {
                try {
                  await call();
                } catch (error) {
                  if (judge(error)) throw error;
                }
              }
              const ac = new AbortController();
              const watch = r.watch(service as never, { ...(typeof o === 'object' && o !== null ? o : {}), signal: ac.signal } as never);
              for await (const snapshot of watch) {
                void snapshot;
                break;
              }
              ac.abort();
            } finally {
              await r.close();
            }
          },
          () =>
            `${name}: register(${fc.stringify(reg)}, ${fc.stringify(o)}) setHealth(${fc.stringify(status)}) list(${fc.stringify(service)})`,
        ),
    ),
    0.1,
  ];
}

/** A loopback HTTP server for probes and announce(); closed by `close()`. */
async function loopbackServer(): Promise<{ port: number; server: http.Server; close(): Promise<void> }> {
  const server = http.createServer((req, res) => res.writeHead(req.url === '/health' ? 200 : 404).end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The wider targets, and the names of the exports they cover. */
export async function widerTargets(): Promise<{
  targets: Target[];
  covered: string[];
  exempt: Record<string, string>;
  close(): Promise<void>;
}> {
  const local = await loopbackServer();
  const url = `http://127.0.0.1:${local.port}/health`;
  const safeUrl = fc.oneof(
    fc.constantFrom(url, DEAD, `${DEAD}/x`, 'http://[::1]:9/'),
    bad.filter((x) => typeof x !== 'string'),
  );
  const targets: Target[] = [];
  const covered = new Set<string>();

  targets.push([
    'announce() options',
    fc.asyncProperty(
      optionsOf([
        'service',
        'port',
        'address',
        'id',
        'tags',
        'meta',
        'weight',
        'zone',
        'ttl',
        'lagWatchdog',
        'startupTimeout',
        'exitGraceMs',
        'clock',
        'tpyo',
      ]),
      fc.oneof(
        fc.constant(undefined),
        bad.filter((x) => typeof x !== 'string'),
        fc.record({
          http: fc.oneof(
            fc.constantFrom('/health', url, DEAD),
            bad.filter((x) => typeof x !== 'string'),
          ),
          interval: bad,
          timeout: bad,
        }),
      ),
      fc.oneof(fc.constant(undefined), bad),
      (options, checkOption, signals) =>
        check(
          async () => {
            const registry = memoryRegistry();
            try {
              const o = (typeof options === 'object' && options !== null ? options : {}) as Record<string, unknown>;
              const a = await announce({
                service: 'fuzz',
                port: local.port,
                address: '127.0.0.1',
                ...o,
                registry,
                ...(checkOption === undefined ? {} : { check: checkOption }),
                // Arbitrary signal lists are validated; a valid one is installed and removed by the drain.
                ...(signals === undefined ? { signals: false } : { signals }),
                exitOnSignal: false,
                drain: { propagationMs: 0, timeoutMs: 0 },
              } as never);
              await a.setHealth(o.zone as never, o.id as never).catch((error: unknown) => {
                if (judge(error)) throw error;
              });
              await a.drain();
            } finally {
              await registry.close();
            }
          },
          () => `announce(${fc.stringify(options)}, check ${fc.stringify(checkOption)}, signals ${fc.stringify(signals)})`,
        ),
    ),
    0.3,
  ]);
  covered.add('announce');

  targets.push([
    'startCheck (health entry) with loopback targets',
    fc.asyncProperty(
      fc.record({
        kind: fc.oneof(fc.constantFrom('http', 'tcp'), bad),
        url: safeUrl,
        target: fc.oneof(
          fc.constantFrom(`127.0.0.1:${local.port}`, '127.0.0.1:9', '[::1]:9'),
          bad.filter((x) => typeof x !== 'string'),
        ),
        intervalMs: fc.oneof(fc.integer({ min: 1000, max: 5000 }), bad),
        timeoutMs: fc.oneof(fc.integer({ min: 1, max: 2000 }), bad),
        method: bad,
        headers: bad,
        status: bad,
        successBeforePassing: bad,
        failuresBeforeCritical: bad,
      }),
      optionsOf(['clock', 'random', 'probe', 'initialStatus']),
      (spec, options) =>
        check(
          async () => {
            const o = typeof options === 'object' && options !== null ? options : {};
            const runner = healthEntry.startCheck({ ...o, check: spec, onUpdate: () => {} } as never);
            try {
              await runner.runNow();
            } finally {
              runner.stop();
            }
          },
          () => `startCheck(${fc.stringify(spec)}, ${fc.stringify(options)})`,
        ),
    ),
    0.2,
  ]);
  covered.add('startCheck');

  targets.push([
    'httpProbe and tcpProbe run against loopback',
    fc.asyncProperty(safeUrl, bad, bad, bad, fc.boolean(), (probeUrl, method, headers, timeoutMs, tcp) =>
      check(
        async () => {
          const probe = tcp
            ? healthEntry.tcpProbe({ target: `127.0.0.1:${local.port}`, timeoutMs } as never)
            : healthEntry.httpProbe({ url: probeUrl, method, headers, timeoutMs } as never);
          await probe(AbortSignal.timeout(1000));
        },
        () =>
          `${tcp ? 'tcpProbe' : 'httpProbe'}(${fc.stringify(probeUrl)}, ${fc.stringify(method)}, ${fc.stringify(headers)}, ${fc.stringify(timeoutMs)})`,
      ),
    ),
    0.2,
  ]);

  targets.push([
    'grpc entry: registerGrpcResolver, registerGrpcLoadBalancers, addGrpcHealthService',
    fc.asyncProperty(
      optionsOf(['registry', 'scheme', 'lbPolicy', 'retry', 'serviceConfig', 'balancer']),
      bad,
      bad,
      (options, server, source) =>
        check(
          async () => {
            grpcEntry.registerGrpcLoadBalancers();
            try {
              grpcEntry.registerGrpcResolver(options as never);
            } finally {
              grpcEntry.addGrpcHealthService(server as never, source as never);
            }
          },
          () => `registerGrpcResolver(${fc.stringify(options)}) addGrpcHealthService(${fc.stringify(server)}, ${fc.stringify(source)})`,
        ),
    ),
    0.2,
  ]);
  for (const name of ['registerGrpcResolver', 'registerGrpcLoadBalancers', 'addGrpcHealthService']) covered.add(name);

  targets.push([
    'undiciTransport and compose',
    fc.asyncProperty(optionsOf(['dispatcher', 'clock']), bad, bad, bad, (options, request, m1, m2) =>
      check(
        async () => {
          const transport = undiciTransport(options as never);
          const composed = compose(m1 as never, m2 as never)(transport);
          const r = typeof request === 'object' && request !== null ? { ...request, url: new URL(`${DEAD}/x`) } : request;
          await composed(r as never);
        },
        () => `undiciTransport(${fc.stringify(options)}) compose(${fc.stringify(m1)}, ${fc.stringify(m2)})(${fc.stringify(request)})`,
      ),
    ),
    0.2,
  ]);
  covered.add('undiciTransport').add('compose');

  targets.push([
    'TypedEvent',
    fc.asyncProperty(bad, optionsOf(['onListenerError', 'tpyo']), bad, bad, (name, options, listener, event) =>
      check(
        async () => {
          const e = new TypedEvent(name as never, options as never);
          const off = e.subscribe(listener as never);
          e.emit(event as never);
          off();
        },
        () => `new TypedEvent(${fc.stringify(name)}, ${fc.stringify(options)}).subscribe(${fc.stringify(listener)})`,
      ),
    ),
    0.3,
  ]);
  covered.add('TypedEvent');

  targets.push([
    'sleep',
    fc.asyncProperty(fc.oneof(fc.constant(systemClock), bad), fc.oneof(fc.integer({ min: 0, max: 5 }), bad), bad, (clock, ms, signal) =>
      check(
        async () => {
          const slept = mainEntry.sleep(clock as never, ms as never, signal as never).catch((error: unknown) => {
            // An aborted signal rejects with its own reason, as documented.
            if (signal instanceof AbortSignal && signal.aborted && error === signal.reason) return;
            throw error;
          });
          // A fake clock that never fires keeps it waiting, as it should: only the system clock is awaited.
          if (clock === systemClock) await slept;
          else void slept.catch(() => {});
        },
        () => `sleep(${fc.stringify(clock)}, ${fc.stringify(ms)}, ${fc.stringify(signal)})`,
      ),
    ),
    0.1,
  ]);
  covered.add('sleep');

  targets.push([
    'resolveConsulToken with missing files',
    fc.asyncProperty(optionsOf(['token', 'tokenFile']), (options) =>
      check(
        async () => {
          const o =
            typeof options === 'object' && options !== null && 'tokenFile' in options
              ? { ...options, tokenFile: '/nonexistent/roster-fuzz-token' }
              : options;
          await consulEntry.resolveConsulToken(o as never);
        },
        () => `resolveConsulToken(${fc.stringify(options)})`,
      ),
    ),
    0.1,
  ]);
  covered.add('resolveConsulToken');

  const rosterUrl = process.env.ROSTER_URL;
  if (rosterUrl) {
    targets.push(registryCalls('Consul backend calls on a real roster serve', () => consulRegistry({ url: rosterUrl, timeoutMs: 2000 })));
  }
  const etcdUrl = process.env.ETCD_URL;
  if (etcdUrl) {
    targets.push(registryCalls('etcd backend calls on a real etcd', () => etcdRegistry({ url: etcdUrl, requestTimeoutMs: 2000 })));
  }

  // Every other public function and class of every entry, with arbitrary arguments.
  for (const [entry, exports] of Object.entries(ENTRIES)) {
    for (const [name, fn] of Object.entries(exports)) {
      if (typeof fn !== 'function' || name in NOT_SWEPT || covered.has(name)) continue;
      covered.add(name);
      targets.push([
        `sweep ${entry} ${name}`,
        fc.asyncProperty(fc.array(bad, { maxLength: 3 }), (args) =>
          check(
            // Every error is judged: a raw TypeError from any export fails the suite.
            () => sweepOne(fn, args),
            () => `${name}(${args.map((a) => fc.stringify(a)).join(', ')})`,
          ),
        ),
        0.05,
      ]);
    }
  }
  const exempt = { registryContract: NOT_SWEPT.registryContract!, runClause: NOT_SWEPT.runClause! };
  return { targets, covered: [...covered], exempt, close: local.close };
}

/** Calls (or constructs) one public function with `args` and releases what it returned. */
async function sweepOne(fn: unknown, args: unknown[]): Promise<void> {
  const made: unknown = isClass(fn) ? new (fn as new (...a: unknown[]) => unknown)(...args) : (fn as (...a: unknown[]) => unknown)(...args);
  const value = made instanceof Promise ? await made : made;
  await release(value);
}
