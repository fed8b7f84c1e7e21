/**
 * Fixtures of the gRPC tests (not exported by the package): real grpc-js Echo instances on
 * 127.0.0.1 (in this process, or in a child process that can be SIGKILLed), Echo clients
 * through a `roster:` target, and a bounded open-loop load of unary calls.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { type PacedLoadResult, startPacedLoad } from '../../../../test-support/paced-load.js';

const proto = (name: string) => fileURLToPath(new URL(`./testdata/${name}`, import.meta.url));

type Loaded = Record<string, Record<string, grpc.ServiceClientConstructor>>;
const echoPackage = grpc.loadPackageDefinition(protoLoader.loadSync(proto('echo.proto'))) as unknown as Loaded;
const healthPackage = grpc.loadPackageDefinition(protoLoader.loadSync(proto('health.proto'), { enums: String })) as unknown as {
  grpc: { health: { v1: Record<string, grpc.ServiceClientConstructor> } };
};

/** The Echo client class (from the .proto, by @grpc/proto-loader). */
export const EchoClient = echoPackage.rostertest!.Echo!;
/** A grpc.health.v1.Health client class from the published .proto. */
export const HealthClient = healthPackage.grpc.health.v1.Health!;

/** A reply of Who/Count. */
export interface WhoReply {
  readonly instance: string;
  readonly seq: number;
}

/** A real Echo server standing in for one instance. */
export interface EchoInstance {
  readonly id: string;
  readonly port: number;
  readonly server: grpc.Server;
  /** Performance-clock times at which calls (unary and streaming) arrived. */
  readonly arrivals: number[];
  /** Added to every Who call's answer time, ms (changeable). */
  delayMs: number;
  /** When set, Who answers with this status code instead (changeable). */
  failWith: number | undefined;
  /** forceShutdown. */
  close(): void;
}

/** Starts an Echo server on 127.0.0.1:0; `beforeStart` may add services (the health service). */
export async function startEcho(id: string, delayMs = 1, beforeStart?: (server: grpc.Server) => void): Promise<EchoInstance> {
  const server = new grpc.Server();
  const arrivals: number[] = [];
  const instance = {
    id,
    port: 0,
    server,
    arrivals,
    delayMs,
    failWith: undefined as number | undefined,
    close: () => server.forceShutdown(),
  };
  server.addService(EchoClient.service, {
    Who(call: grpc.ServerUnaryCall<{ delayMs: number }, WhoReply>, callback: grpc.sendUnaryData<WhoReply>) {
      arrivals.push(performance.now());
      const failWith = instance.failWith;
      if (failWith !== undefined) return callback({ code: failWith, details: `${id} fails on purpose` });
      setTimeout(() => callback(null, { instance: id, seq: arrivals.length }), call.request.delayMs || instance.delayMs);
    },
    Count(call: grpc.ServerWritableStream<{ n: number }, WhoReply>) {
      arrivals.push(performance.now());
      for (let i = 0; i < call.request.n; i++) call.write({ instance: id, seq: i });
      call.end();
    },
  });
  beforeStart?.(server);
  instance.port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port))),
  );
  return instance;
}

/** An Echo instance in a child process. */
export interface ChildEcho {
  readonly id: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** The `delayMs` of every Who call that arrived so far, in order. */
  readonly arrivals: readonly number[];
  /** SIGKILL, resolved once the process is gone. */
  kill(): Promise<void>;
}

/** Starts testdata/echo-server.mjs; resolves once it printed its port. */
export async function startChildEcho(id: string): Promise<ChildEcho> {
  const child = spawn(process.execPath, [proto('echo-server.mjs'), id], { stdio: ['ignore', 'pipe', 'inherit'] });
  const arrivals: number[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    let rest = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString()).split('\n');
      rest = lines.pop()!;
      for (const line of lines) {
        const [word, value] = line.split(' ');
        if (word === 'port') resolve(Number(value));
        else if (word === 'who') arrivals.push(Number(value));
      }
    });
    child.once('exit', (code) => reject(new Error(`echo-server ${id} exited with ${code}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    id,
    port,
    child,
    arrivals,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** The Echo client's methods (generated at run time by proto-loader). */
export interface EchoStub extends grpc.Client {
  Who(
    request: { delayMs: number },
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, reply: WhoReply) => void,
  ): grpc.ClientUnaryCall;
  Count(request: { n: number }, options: grpc.CallOptions): grpc.ClientReadableStream<WhoReply>;
}

/** An Echo client over `target`. */
export function echoClient(target: string, options: grpc.ChannelOptions = {}): EchoStub {
  return new EchoClient(target, grpc.credentials.createInsecure(), options) as unknown as EchoStub;
}

/** A failed call; `answerBegun`: the server's answer had begun (grpc-js then never retries it). */
export type WhoError = grpc.ServiceError & { answerBegun: boolean };

/** One unary Who call (deadline `deadlineMs`); a rejection is a {@link WhoError}. */
export function who(client: EchoStub, deadlineMs = 10_000, delayMs = 0): Promise<WhoReply> {
  return new Promise((resolve, reject) => {
    let answerBegun = false;
    const call = client.Who({ delayMs }, { deadline: Date.now() + deadlineMs }, (error, reply) =>
      error ? reject(Object.assign(error, { answerBegun })) : resolve(reply),
    );
    call.on('metadata', () => {
      answerBegun = true;
    });
  });
}

/** One server-streaming Count call; resolves with every reply. */
export function count(client: EchoStub, n: number): Promise<WhoReply[]> {
  return new Promise((resolve, reject) => {
    const replies: WhoReply[] = [];
    const stream = client.Count({ n }, { deadline: Date.now() + 10_000 });
    stream.on('data', (reply: WhoReply) => replies.push(reply));
    stream.on('error', reject);
    stream.on('end', () => resolve(replies));
  });
}

/** A failed call of a load: its gRPC status code, whether its answer had begun, and when (ms). */
export interface GrpcLoadFailure {
  readonly code: number | undefined;
  readonly answerBegun: boolean;
  readonly at: number;
  /** As written in `failures`. */
  readonly text: string;
}

/** What an open-loop load of Who calls did. */
export interface GrpcLoadResult extends PacedLoadResult {
  /** Replies per instance id. */
  readonly byInstance: Readonly<Record<string, number>>;
  /** Every failed call (the same calls as `failures`), for tests that must tell them apart. */
  readonly failed: readonly GrpcLoadFailure[];
}

/**
 * Starts `perSecond` Who calls a second (open loop, test-support/paced-load.ts) until `maxMs` or
 * `maxCalls`, whichever comes first; `finish()` waits for that, then for the calls in flight.
 */
export function startGrpcLoad(client: EchoStub, perSecond: number, maxMs: number, maxCalls: number) {
  const byInstance: Record<string, number> = {};
  const failed: GrpcLoadFailure[] = [];
  const load = startPacedLoad({
    perSecond,
    maxMs,
    maxCalls,
    call: async () => {
      const reply = await who(client);
      byInstance[reply.instance] = (byInstance[reply.instance] ?? 0) + 1;
    },
    describe: (error) => {
      const e = error as WhoError;
      const at = Math.round(performance.now());
      const begun = e.answerBegun ? ', after the answer had begun' : '';
      const text = `${e.code}: ${e.details ?? String(error)} (at ${at} ms${begun})`;
      failed.push({ code: e.code, answerBegun: e.answerBegun === true, at, text });
      return text;
    },
  });
  return {
    get started() {
      return load.started;
    },
    async finish(): Promise<GrpcLoadResult> {
      return { ...(await load.finish()), byInstance, failed };
    },
  };
}

/** Resolves after `ms` of real time. */
export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every 25 ms until it holds or `timeoutMs` passed; returns whether it held. */
export async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > end) return false;
    await delay(25);
  }
  return true;
}
