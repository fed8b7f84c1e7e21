/**
 * `npm run demo`: roster serve, three instances of the example service and the example client
 * calling them through the balancer, with the spread per instance printed every second.
 * Stop an instance (`kill <pid>`, printed at start; or `--auto`) to see the failover and the
 * deregistration. Ctrl-C stops everything the demo started. Walk-through: docs/demo.md.
 *
 *   npm run demo                              # until Ctrl-C
 *   npm run demo -- --auto                    # stops instance #2 after 5 s (SIGTERM: graceful), ends 10 s later
 *   npm run demo -- --auto --signal SIGKILL   # ... or crashes it
 *   npm run demo -- --auto --duration 15      # and ends by itself after 15 s
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { connect, diffSnapshots, type Instance, type Snapshot } from '@rosterjs/roster';
import { type NodeProcess, spawnNode } from './node-process.js';

const { values: args } = parseArgs({
  options: {
    auto: { type: 'boolean', default: false },
    after: { type: 'string', default: '5' },
    signal: { type: 'string', default: 'SIGTERM' },
    duration: { type: 'string' },
    rate: { type: 'string', default: '20' },
    port: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(`usage: npm run demo -- [--auto] [--after <s>] [--signal SIGTERM|SIGKILL] [--duration <s>] [--rate <calls/s>] [--port <port>]
  --auto          stop instance #2 after --after seconds of calls (default 5) with --signal (default SIGTERM)
  --duration <s>  end the demo after this many seconds of calls (default: with --auto, --after + 10 s;
                  otherwise run until Ctrl-C; 0: run until Ctrl-C)
  --rate <n>      client calls per second (default 20)
  --port <port>   roster serve's port (default 8500, or a free one if 8500 is taken; 0: any free one)`);
  process.exit(0);
}
const SIGNALS = new Set(['SIGTERM', 'SIGKILL', 'SIGINT']);
/** Seconds an `--auto` demo runs on after stopping an instance, when no --duration is given. */
const AUTO_TAIL_S = 10;
if (!SIGNALS.has(args.signal)) {
  console.error(`demo: --signal must be SIGTERM, SIGINT or SIGKILL, got ${args.signal}`);
  process.exit(2);
}

const SERVICE = 'my-service';
const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'packages/cli/dist/bin.js');
const serverScript = join(root, 'examples/dist/server.js');
const clientScript = join(root, 'examples/dist/client.js');

const started: NodeProcess[] = [];
const startedAt = Date.now();
const clock = () => `${((Date.now() - startedAt) / 1000).toFixed(1).padStart(5)}s`;

/** 8500 when it is free (roster serve's default, so plain `roster instances` works too), else 0 (any free port). */
async function choosePort(): Promise<number> {
  if (args.port !== undefined) return Number(args.port);
  const tryListen = (port: number) =>
    new Promise<number | undefined>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(undefined));
      probe.listen(port, '127.0.0.1', () => {
        const chosen = (probe.address() as { port: number }).port;
        probe.close(() => resolve(chosen));
      });
    });
  return (await tryListen(8500)) ?? 0;
}

// --- start everything -------------------------------------------------------------------------
const dataDir = await mkdtemp(join(tmpdir(), 'roster-demo-'));
const requestedPort = await choosePort();

let stopping: Promise<void> | undefined;
/** Stops what the demo started: the client, the instances (graceful drain), roster serve. */
function stopAll(): Promise<void> {
  stopping ??= (async () => {
    const [serve, ...rest] = started;
    await Promise.all(rest.map((p) => p.stop(p.name === 'client' ? 'SIGINT' : 'SIGTERM')));
    await serve?.stop('SIGTERM');
    await rm(dataDir, { recursive: true, force: true });
  })();
  return stopping;
}
// Last resort (an exception, a second Ctrl-C): nothing started may outlive the demo.
process.on('exit', () => {
  for (const p of started) if (!p.done) p.child.kill('SIGKILL');
});

const serveArgs = ['serve', '--port', String(requestedPort), '--data-dir', dataDir, '--log-level', 'warn', '--sync', 'normal'];
const serve = spawnNode('roster serve', cli, serveArgs);
started.push(serve);
/** Stops what was started and exits 1: the demo could not start. */
async function abort(what: string, error: unknown): Promise<never> {
  console.error(`demo: ${what}: ${error instanceof Error ? error.message : String(error)}`);
  console.error('(built? npm run demo builds first; node examples/dist/demo.js does not)');
  await stopAll();
  process.exit(1);
}
const listening = await serve.waitFor(/listening on (http:\/\/\S+)/).catch((e: unknown) => abort(`roster serve did not start`, e));
const serveUrl = new URL(listening[1] as string);
const registryUrl = `consul://${serveUrl.host}`;

interface Member {
  readonly n: number;
  readonly process: NodeProcess;
  readonly id: string;
  readonly port: number;
}
const members: Member[] = [];
for (let n = 1; n <= 3; n++) {
  const p = spawnNode(`#${n}`, serverScript, ['--registry', registryUrl, '--check-interval', '2s']);
  started.push(p);
  const match = await p.waitFor(/^(\S+) listening on http:\/\/[^:]+:(\d+)/).catch((e: unknown) => abort(`instance #${n} did not start`, e));
  members.push({ n, process: p, id: match[1] as string, port: Number(match[2]) });
}
const byId = new Map(members.map((m) => [m.id, m]));
const label = (id: string) => (byId.has(id) ? `#${byId.get(id)?.n}` : id);

const rate = Math.max(1, Number(args.rate));
const clientArgs = ['--registry', registryUrl, '--count', '0', '--interval', String(Math.round(1000 / rate)), '--json'];
const client = spawnNode('client', clientScript, clientArgs);
started.push(client);

console.log(`
roster demo: roster serve, 3 instances of ${SERVICE}, and a client calling them through the balancer

  registry  roster serve at ${serveUrl.origin}  (data in ${dataDir})  pid ${serve.pid}
${members.map((m) => `  #${m.n}        ${m.id.padEnd(28)} pid ${String(m.process.pid).padEnd(7)} kill ${m.process.pid}`).join('\n')}
  client    ~${rate} calls/s to /api, round robin, a failed call retried on another instance  pid ${client.pid}

Stop an instance with kill <pid> (graceful: it drains and deregisters) or kill -9 <pid> (a crash),
and watch the calls move. Look at the registry from another terminal:
  npx roster watch ${SERVICE} --registry ${registryUrl}
Ctrl-C stops everything.
`);

// --- registry events ----------------------------------------------------------------------------
const registry = connect(registryUrl);
const watching = new AbortController();
void (async () => {
  let previous: Snapshot | undefined;
  for await (const snapshot of registry.watch(SERVICE, { signal: watching.signal })) {
    if (previous !== undefined && stopping === undefined) {
      const diff = diffSnapshots(previous, snapshot);
      const show = (i: Instance) => `${label(i.id)} (${i.id})`;
      for (const i of diff.added) console.log(`${clock()}  registry: + ${show(i)} registered, ${i.health}`);
      for (const i of diff.removed) console.log(`${clock()}  registry: - ${show(i)} deregistered`);
      for (const { before, after } of diff.changed) {
        if (before.health !== after.health) console.log(`${clock()}  registry: ~ ${show(after)} ${before.health} → ${after.health}`);
      }
    }
    previous = snapshot;
  }
})().catch((error: unknown) => console.error(`demo: watch failed: ${String(error)}`));

for (const m of members) {
  void m.process.exited.then((exit) => {
    if (!stopping) console.log(`${clock()}  #${m.n} (pid ${m.process.pid}) exited (${exit.signal ?? `code ${exit.code}`})`);
  });
}

// --- the spread, once a second -----------------------------------------------------------------
const window = new Map<string, number>();
const totals = new Map<string, number>();
let failedInWindow = 0;
let failed = 0;
let retries = 0;
client.onLine((line) => {
  let event: { instance?: string; error?: string; retries?: number };
  try {
    event = JSON.parse(line) as typeof event;
  } catch {
    return;
  }
  if (event.instance !== undefined) {
    window.set(event.instance, (window.get(event.instance) ?? 0) + 1);
    totals.set(event.instance, (totals.get(event.instance) ?? 0) + 1);
  } else if (event.error !== undefined) {
    failedInWindow++;
    failed++;
  }
  if (typeof event.retries === 'number') retries = event.retries;
});

const columns = members.map((m) => `#${m.n}`.padStart(4)).join(' ');
const header = `  time   ${columns}  failed  retries   (calls answered by each instance in the last second)`;
let rows = 0;
const tick = setInterval(() => {
  if (rows % 20 === 0) console.log(header);
  rows++;
  const cells = members.map((m) => (m.process.done && !window.has(m.id) ? '-' : String(window.get(m.id) ?? 0)).padStart(4));
  console.log(`${clock()}  ${cells.join(' ')}  ${String(failedInWindow).padStart(6)}  ${String(retries).padStart(7)}`);
  window.clear();
  failedInWindow = 0;
}, 1000);

// --- --auto, --duration, Ctrl-C ----------------------------------------------------------------
// Both count from the first answered call, so a slow start does not eat into them.
const timers: NodeJS.Timeout[] = [];
function scheduleAutoKill(): void {
  const victim = members[1] as Member;
  const signal = args.signal as NodeJS.Signals;
  const kill = () => {
    console.log(`${clock()}  demo: kill -${signal.slice(3)} ${victim.process.pid}   (#${victim.n}, ${victim.id})`);
    if (signal === 'SIGKILL') {
      console.log('         a crash: calls to it fail and are retried on another instance; the registry marks it critical at its');
      console.log('         next failed check (2 s) and removes it once critical for a minute');
    } else {
      console.log('         a graceful stop: it reports critical, waits 2 s for clients to see that, finishes its requests, deregisters');
    }
    victim.process.child.kill(signal);
  };
  timers.push(setTimeout(kill, Number(args.after) * 1000));
}
client.waitFor(/"instance"/, 60_000).then(
  () => {
    if (args.auto) scheduleAutoKill();
    // --auto is a self-running show: it ends 10 s after the stop (the failover and the
    // deregistration have been shown by then) unless --duration says otherwise.
    const duration = args.duration !== undefined ? Number(args.duration) : args.auto ? Number(args.after) + AUTO_TAIL_S : 0;
    if (duration > 0) timers.push(setTimeout(() => void finish(0), duration * 1000));
  },
  (error: unknown) => {
    if (stopping === undefined) void abort('the client made no call', error);
  },
);

async function finish(code: number): Promise<never> {
  clearInterval(tick);
  for (const t of timers) clearTimeout(t);
  console.log(`${clock()}  demo: stopping everything`);
  await stopAll();
  watching.abort();
  await registry.close();
  const spread = members.map((m) => `#${m.n} ${totals.get(m.id) ?? 0}`).join(', ');
  console.log(`calls answered: ${spread}; ${failed} failed, ${retries} retried on another instance`);
  process.exit(code);
}

let interrupted = false;
const onSignal = () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  void finish(0);
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
