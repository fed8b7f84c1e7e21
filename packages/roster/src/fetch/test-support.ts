/**
 * Helpers for the fetch tests (not exported from the package): fake responses and transports
 * for the middleware unit tests, and real loopback HTTP instances for the end-to-end ones.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { type PacedLoad, type PacedLoadResult, startPacedLoad } from '../../../../test-support/paced-load.js';
import type { Instance } from '../model.js';
import type { ResponseBody, Transport, TransportRequest, TransportResponse } from './transport.js';

/** An instance with defaults for everything not given. */
export function instance(id: string, fields: Partial<Omit<Instance, 'id'>> = {}): Instance {
  return { id, service: 'orders', address: '10.0.0.1', port: 8080, tags: [], meta: {}, weight: 1, zone: '', health: 'passing', ...fields };
}

/** A body with undici's reading methods over a fixed text; `dumped` tells whether it was discarded. */
export function fakeBody(text = ''): ResponseBody & { dumped: boolean } {
  const stream = Readable.from([Buffer.from(text)]);
  return Object.assign(stream, {
    dumped: false,
    text: async () => text,
    json: async () => JSON.parse(text) as unknown,
    async dump(this: { dumped: boolean }) {
      this.dumped = true;
      stream.destroy();
    },
  }) as unknown as ResponseBody & { dumped: boolean };
}

/** A response with a fake body, answered by `req.instance`. */
export function fakeResponse(status: number, req?: TransportRequest, text = ''): TransportResponse {
  return { status, headers: {}, body: fakeBody(text), instance: req?.instance };
}

/** What a scripted transport answers: a status, an error to reject with, or a response. */
export type Answer = number | Error | TransportResponse;

/** A transport answering from `script(request, callIndex)`; it records every request. */
export function scriptedTransport(script: (req: TransportRequest, n: number) => Answer | Promise<Answer>): Transport & {
  readonly calls: TransportRequest[];
} {
  const calls: TransportRequest[] = [];
  const transport = async (req: TransportRequest): Promise<TransportResponse> => {
    calls.push(req);
    const answer = await script(req, calls.length - 1);
    if (answer instanceof Error) throw answer;
    return typeof answer === 'number' ? fakeResponse(answer, req) : answer;
  };
  return Object.assign(transport, { calls });
}

/** An error with a Node-style `code`, as sockets produce. */
export function codeError(code: string): Error {
  return Object.assign(new Error(`${code} (test)`), { code });
}

/** A real HTTP server on 127.0.0.1 standing in for one instance of a service. */
export interface LoopbackInstance {
  readonly id: string;
  readonly port: number;
  /** Requests it answered. */
  readonly served: number;
  /** Requests received and not yet answered. */
  readonly inflight: number;
  /** Kills it like a crash: stops listening and destroys every open socket, without deregistering. */
  kill(): void;
  /** Kills it as soon as it has received the next request: that call dies mid-flight. Resolves then. */
  killDuringNextRequest(): Promise<void>;
  /** Stops it gracefully (tests' afterAll). */
  close(): Promise<void>;
}

/** Options of {@link startInstance}. */
export interface InstanceBehaviour {
  /** Added latency per request, ms (a function for varying delays). */
  readonly delayMs?: number | (() => number);
  /** Status to answer. Default 200. */
  readonly status?: number | (() => number);
}

/** Starts a loopback instance answering `{"id": ...}` (plus the request's method and body length). */
export async function startInstance(id: string, behaviour: InstanceBehaviour = {}): Promise<LoopbackInstance> {
  const sockets = new Set<Socket>();
  let served = 0;
  let inflight = 0;
  let killNext: (() => void) | undefined;
  const server = http.createServer((req, res) => {
    inflight++;
    res.once('close', () => inflight--);
    if (killNext) {
      killNext();
      return;
    }
    let length = 0;
    req.on('data', (chunk: Buffer) => {
      length += chunk.length;
    });
    req.on('end', () => {
      const answer = () => {
        served++;
        const status = typeof behaviour.status === 'function' ? behaviour.status() : (behaviour.status ?? 200);
        res.writeHead(status, { 'content-type': 'application/json', 'x-instance': id });
        res.end(JSON.stringify({ id, method: req.method, url: req.url, bodyLength: length, host: req.headers.host }));
      };
      const delay = typeof behaviour.delayMs === 'function' ? behaviour.delayMs() : (behaviour.delayMs ?? 0);
      if (delay > 0) setTimeout(answer, delay);
      else answer();
    });
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  let closed = false;
  const kill = () => {
    if (closed) return;
    closed = true;
    server.close();
    for (const socket of sockets) socket.destroy();
  };
  return {
    id,
    port,
    get served() {
      return served;
    },
    get inflight() {
      return inflight;
    },
    kill,
    killDuringNextRequest() {
      return new Promise<void>((resolve) => {
        killNext = () => {
          killNext = undefined;
          kill();
          resolve();
        };
      });
    },
    async close() {
      if (!closed) {
        closed = true;
        const done = new Promise((resolve) => server.close(resolve));
        for (const socket of sockets) socket.destroy();
        await done;
      }
    },
  };
}

/** What a load run did. */
export type LoadResult = PacedLoadResult;

/** A running open-loop load (see {@link startLoad}). */
export type Load = PacedLoad;

/**
 * Starts `perSecond` calls a second (open loop, test-support/paced-load.ts) until `stop()`,
 * `maxMs` or `maxCalls`, whichever comes first. A call fails when it rejects or resolves with a
 * status ≥ 500.
 */
export function startLoad(
  perSecond: number,
  call: (i: number) => Promise<number>,
  maxMs: number,
  maxCalls = Number.POSITIVE_INFINITY,
): Load {
  return startPacedLoad({ perSecond, call, maxMs, maxCalls, failureOf: (status) => (status >= 500 ? `status ${status}` : undefined) });
}

/** Resolves after `ms` of real time. */
export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every 25 ms until it holds or `timeoutMs` passed; returns whether it held. */
export async function eventually(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > end) return false;
    await delay(25);
  }
  return true;
}
