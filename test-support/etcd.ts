/**
 * Real etcd for integration tests: single nodes and 3-member clusters on free loopback ports,
 * each member with a temp data dir (on /dev/shm when there is one: fsync is the slow part of
 * etcd and these clusters hold nothing worth keeping), plus two tools for failure tests:
 * a TCP proxy whose connections can be cut, and a runner for child Node processes that import
 * roster's TypeScript sources (so a whole client process can be paused with SIGSTOP).
 *
 * Every process started here is tracked; `stop()` ends it with SIGTERM, then SIGKILL after a
 * grace period, and removes the data dirs. Use it in `afterAll`, which also runs after failures.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** How to start a test cluster. */
export interface EtcdStartOptions {
  /** `--heartbeat-interval`, ms (default 50: quicker than etcd's 100, so failover tests are quick). */
  readonly heartbeatMs?: number;
  /** `--election-timeout`, ms (default 500). etcd's minimum lease TTL is ceil(1.5 × this) in whole seconds. */
  readonly electionMs?: number;
  /** Serve clients over TLS with these files (see {@link makeTestCertificates}); health is then read over a plain metrics port. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string; readonly clientCaFile?: string };
}

/** PEM files of a throw-away CA, a server certificate for 127.0.0.1 and a client certificate. */
export interface TestCertificates {
  readonly dir: string;
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
}

/** Creates {@link TestCertificates} in a new temp dir with openssl (P-256 keys, valid one day). */
export async function makeTestCertificates(): Promise<TestCertificates> {
  const dir = await mkdtemp(join(tmpdir(), 'roster-certs-'));
  const f = (name: string) => join(dir, name);
  const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const key = (name: string) => openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', f(name)]);
  key('ca.key');
  openssl(['req', '-x509', '-new', '-key', f('ca.key'), '-out', f('ca.crt'), '-days', '1', '-subj', '/CN=roster test CA']);
  const extensions = { server: ['subjectAltName=IP:127.0.0.1', 'extendedKeyUsage=serverAuth'], client: ['extendedKeyUsage=clientAuth'] };
  for (const [name, ext] of Object.entries(extensions)) {
    key(`${name}.key`);
    openssl(['req', '-new', '-key', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=roster-${name}`]);
    await writeFile(f(`${name}.ext`), `${ext.join('\n')}\n`);
    const sign = ['x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial'];
    openssl([...sign, '-out', f(`${name}.crt`), '-days', '1', '-extfile', f(`${name}.ext`)]);
  }
  return {
    dir,
    caFile: f('ca.crt'),
    certFile: f('server.crt'),
    keyFile: f('server.key'),
    clientCertFile: f('client.crt'),
    clientKeyFile: f('client.key'),
  };
}

/**
 * A free TCP port on 127.0.0.1 for a child process to listen on (bound, read, released). Ports
 * come from 20000–32767, below Linux's ephemeral range (32768–60999): a port the kernel hands out
 * for port 0 is also the kind it gives outgoing connections, so between our release and the
 * child's bind another test's connection could take it ("address already in use"). Ports handed
 * out by this process are not handed out again.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_768);
    if (handedOut.has(port)) continue;
    if (await canBind(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free port in 20000–32767 after 100 tries');
}

const handedOut = new Set<number>();

function canBind(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Ends `child` with SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
export async function stopProcess(child: ChildProcess, graceMs = 2000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    child.kill('SIGCONT'); // a stopped process cannot handle SIGTERM
    child.kill('SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** One etcd process of a cluster. It can be killed and started again on the same ports and data. */
export class EtcdMember {
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly dataDir: string;
  readonly #args: () => string[];
  #child: ChildProcess | undefined;
  #log = '';

  readonly #healthBase: string;

  constructor(name: string, ports: { client: number; peer: number; health?: number }, dataDir: string, args: () => string[]) {
    this.name = name;
    this.clientPort = ports.client;
    this.peerPort = ports.peer;
    this.dataDir = dataDir;
    this.#args = args;
    this.#healthBase = `http://127.0.0.1:${ports.health ?? ports.client}`;
  }

  /** `127.0.0.1:<client port>`. */
  get endpoint(): string {
    return `127.0.0.1:${this.clientPort}`;
  }

  get peerUrl(): string {
    return `http://127.0.0.1:${this.peerPort}`;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** The last few KB of the member's log (for failure messages). */
  get log(): string {
    return this.#log;
  }

  /** Starts the process (again); resolves once it runs (not yet healthy: see {@link EtcdCluster.waitHealthy}). */
  start(): void {
    if (this.running) return;
    const child = spawn('etcd', this.#args(), { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => {
      this.#log = (this.#log + chunk.toString()).slice(-8192);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('error', (error) => keep(Buffer.from(String(error))));
    this.#child = child;
  }

  /** Sends `signal` (SIGKILL, SIGSTOP, SIGCONT…) to the process. */
  signal(signal: NodeJS.Signals): void {
    this.#child?.kill(signal);
  }

  /** kill -9, and resolves when the process is gone. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  /** SIGTERM, then SIGKILL. */
  async stop(): Promise<void> {
    if (this.#child) await stopProcess(this.#child);
  }

  /** `/health` says true (the member is part of a cluster with a leader). */
  async healthy(): Promise<boolean> {
    try {
      const res = await fetch(`${this.#healthBase}/health`, { signal: AbortSignal.timeout(1000) });
      const body = (await res.json()) as { health?: unknown };
      return res.ok && String(body.health) === 'true';
    } catch {
      return false;
    }
  }

  /** The member's view of the cluster: its own id and the leader's (decimal strings), or undefined if unreachable. */
  async status(): Promise<{ memberId: string; leader: string; raftIndex: string } | undefined> {
    try {
      const res = await fetch(`http://${this.endpoint}/v3/maintenance/status`, {
        method: 'POST',
        body: '{}',
        signal: AbortSignal.timeout(1000),
      });
      if (!res.ok) return undefined;
      const body = (await res.json()) as { header?: { member_id?: string }; leader?: string; raftIndex?: string };
      if (!body.header?.member_id || !body.leader || body.leader === '0') return undefined;
      return { memberId: body.header.member_id, leader: body.leader, raftIndex: body.raftIndex ?? '0' };
    } catch {
      return undefined;
    }
  }
}

/** A running etcd cluster (possibly of one member). */
export class EtcdCluster {
  readonly members: readonly EtcdMember[];
  readonly #root: string;

  constructor(members: readonly EtcdMember[], root: string) {
    this.members = members;
    this.#root = root;
  }

  /** Client endpoints, `host:port`. */
  get endpoints(): string[] {
    return this.members.map((m) => m.endpoint);
  }

  /** `etcd://h1:p1,h2:p2,…` for roster's etcd backend. */
  get url(): string {
    return `etcd://${this.endpoints.join(',')}`;
  }

  /** Runs etcdctl against the cluster (plain-HTTP clusters); returns its stdout. */
  etcdctl(...args: string[]): string {
    return execFileSync('etcdctl', [`--endpoints=${this.endpoints.join(',')}`, ...args], { encoding: 'utf8', stdio: 'pipe' });
  }

  /** Waits (bounded) until every running member reports healthy. */
  async waitHealthy(limitMs = 15_000): Promise<void> {
    const deadline = Date.now() + limitMs;
    for (;;) {
      const running = this.members.filter((m) => m.running);
      const states = await Promise.all(running.map((m) => m.healthy()));
      if (running.length > 0 && states.every(Boolean)) return;
      // Every member has exited (a bad flag, a port taken): waiting longer cannot help.
      if (Date.now() > deadline || running.length === 0) {
        const logs = this.members.map((m) => `--- ${m.name} (running: ${m.running})\n${m.log}`).join('\n');
        throw new Error(`etcd did not become healthy within ${limitMs} ms\n${logs}`);
      }
      await sleep(50);
    }
  }

  /** The current leader (asks the running members; bounded wait for an election). */
  async leader(limitMs = 10_000): Promise<EtcdMember> {
    const deadline = Date.now() + limitMs;
    for (;;) {
      for (const m of this.members.filter((x) => x.running)) {
        const s = await m.status();
        if (s && s.leader === s.memberId) return m;
      }
      if (Date.now() > deadline) throw new Error(`no etcd leader within ${limitMs} ms`);
      await sleep(50);
    }
  }

  /** Starts every member that is not running and waits until all are healthy. */
  async heal(limitMs = 15_000): Promise<void> {
    for (const m of this.members) m.start();
    await this.waitHealthy(limitMs);
  }

  /** Stops every member (SIGTERM, then SIGKILL) and removes the data dirs. Safe to call twice. */
  async stop(): Promise<void> {
    await Promise.allSettled(this.members.map((m) => m.stop()));
    await rm(this.#root, { recursive: true, force: true });
  }
}

/**
 * Starts an etcd cluster of `size` members on loopback and waits until it is healthy.
 * On failure everything started is stopped again before the error is thrown.
 */
export async function startEtcdCluster(size = 1, options: EtcdStartOptions = {}, attempt = 1): Promise<EtcdCluster> {
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const root = await mkdtemp(join(base, 'roster-etcd-'));
  const heartbeat = options.heartbeatMs ?? 50;
  const election = options.electionMs ?? 500;
  const tls = options.tls;
  const scheme = tls ? 'https' : 'http';
  const token = `roster-${process.pid}-${Date.now()}`;
  const ports: { client: number; peer: number; health?: number }[] = [];
  for (let i = 0; i < size; i++)
    ports.push({ client: await freePort(), peer: await freePort(), health: tls ? await freePort() : undefined });
  const initialCluster = ports.map(({ peer }, i) => `m${i}=http://127.0.0.1:${peer}`).join(',');
  const members = ports.map((p, i) => {
    const name = `m${i}`;
    const dataDir = join(root, name);
    const { client, peer } = p;
    const tlsArgs = tls
      ? [
          `--cert-file=${tls.certFile}`,
          `--key-file=${tls.keyFile}`,
          `--listen-metrics-urls=http://127.0.0.1:${p.health}`,
          ...(tls.clientCaFile ? ['--client-cert-auth', `--trusted-ca-file=${tls.clientCaFile}`] : []),
        ]
      : [];
    return new EtcdMember(name, p, dataDir, () => [
      `--name=${name}`,
      `--data-dir=${dataDir}`,
      `--listen-client-urls=${scheme}://127.0.0.1:${client}`,
      `--advertise-client-urls=${scheme}://127.0.0.1:${client}`,
      ...tlsArgs,
      `--listen-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-cluster=${initialCluster}`,
      `--initial-cluster-state=new`,
      `--initial-cluster-token=${token}`,
      `--heartbeat-interval=${heartbeat}`,
      `--election-timeout=${election}`,
      '--logger=zap',
      '--log-level=error',
    ]);
  });
  const cluster = new EtcdCluster(members, root);
  try {
    for (const m of members) m.start();
    await cluster.waitHealthy();
    return cluster;
  } catch (error) {
    await cluster.stop();
    // A port taken by another process between freePort() and etcd's bind: start again on new ports.
    if (attempt < 3 && members.some((m) => m.log.includes('address already in use'))) return startEtcdCluster(size, options, attempt + 1);
    throw error;
  }
}

/** A TCP proxy to one etcd member whose connections can be cut (a network failure, not a crash). */
export interface TcpProxy {
  /** `127.0.0.1:<proxy port>`. */
  readonly endpoint: string;
  /** Destroys every open connection and refuses new ones until {@link restore}. */
  cut(): void;
  /** Accepts connections again. */
  restore(): void;
  close(): Promise<void>;
}

/** Starts a TCP proxy on a free loopback port forwarding to `target` (`host:port`). */
export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const [host = '127.0.0.1', port = '2379'] = target.split(':');
  const sockets = new Set<Socket>();
  let open = true;
  const server: Server = createServer((client) => {
    if (!open) {
      client.destroy();
      return;
    }
    const upstream = tcpConnect(Number(port), host);
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no proxy port');
  return {
    endpoint: `127.0.0.1:${address.port}`,
    cut() {
      open = false;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    restore() {
      open = true;
    },
    async close() {
      open = false;
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// A module-loader hook for child processes: resolves `./x.js` imports of .ts files to `./x.ts`
// and strips types with TypeScript's transpileModule (Node 20 cannot run TypeScript itself).
const TS_HOOKS = `
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
export async function resolve(specifier, context, next) {
  if (context.parentURL?.endsWith('.ts') && specifier.startsWith('.') && specifier.endsWith('.js')) {
    const url = new URL(specifier.slice(0, -3) + '.ts', context.parentURL);
    if (existsSync(fileURLToPath(url))) return { url: url.href, shortCircuit: true };
  }
  return next(specifier, context);
}
export async function load(url, context, next) {
  if (!url.endsWith('.ts')) return next(url, context);
  const source = await readFile(fileURLToPath(url), 'utf8');
  const out = ts.transpileModule(source, {
    fileName: fileURLToPath(url),
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
  });
  return { format: 'module', source: out.outputText, shortCircuit: true };
}
`;

/** A child Node process started by {@link spawnTsChild}. */
export interface TsChild {
  readonly process: ChildProcess;
  /** Lines the child printed so far (stdout). */
  readonly lines: readonly string[];
  /** Resolves with the first stdout line (now or later) that satisfies `match`; rejects after `limitMs`. */
  waitForLine(match: (line: string) => boolean, limitMs?: number): Promise<string>;
  /** SIGTERM then SIGKILL; also removes the temp files. */
  stop(): Promise<void>;
}

/**
 * Runs `source` (an ES module, JavaScript) in a child Node process that can import TypeScript
 * files of this repository by absolute URL (see {@link repoFileUrl}). stdout is split into lines.
 */
export async function spawnTsChild(source: string, env: Record<string, string> = {}): Promise<TsChild> {
  const dir = await mkdtemp(join(tmpdir(), 'roster-child-'));
  const typescriptUrl = pathToFileURL(createRequire(import.meta.url).resolve('typescript')).href;
  await writeFile(join(dir, 'hooks.mjs'), TS_HOOKS.replace("from 'typescript'", `from ${JSON.stringify(typescriptUrl)}`));
  await writeFile(
    join(dir, 'register.mjs'),
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`,
  );
  await writeFile(join(dir, 'main.mjs'), source);
  const child = spawn(process.execPath, ['--import', pathToFileURL(join(dir, 'register.mjs')).href, join(dir, 'main.mjs')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
    cwd: repoRoot,
  });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let buffer = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    lines.push(...parts.filter((l) => l.length > 0));
    for (const w of waiters) w();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4096);
  });
  return {
    process: child,
    lines,
    waitForLine(match, limitMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = lines.find(match);
          if (line !== undefined) {
            done();
            resolve(line);
          } else if (child.exitCode !== null) {
            done();
            reject(new Error(`child exited (${child.exitCode}) before the line came; stderr:\n${stderr}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no matching line within ${limitMs} ms; lines: ${lines.join(' | ')}; stderr:\n${stderr}`));
        }, limitMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async stop() {
      await stopProcess(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** `file://` URL of a file of this repository, e.g. `repoFileUrl('packages/roster/src/index.ts')`. */
export function repoFileUrl(path: string): string {
  return pathToFileURL(join(repoRoot, path)).href;
}
