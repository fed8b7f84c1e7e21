/**
 * A fault-injection TCP proxy for tests (the toxiproxy idea, in process, pure Node): it listens
 * on a free 127.0.0.1 port and forwards every connection to a target (`host:port`, loopback
 * only). On command it injects one fault at a time into new AND open connections:
 *
 * | fault                | what the client sees                                                        |
 * |----------------------|-----------------------------------------------------------------------------|
 * | `delay(ms, dir)`     | every chunk (both ways, or only `up`/`down`) arrives `ms` later, in order    |
 * | `drop()`             | open connections closed (FIN); new ones accepted and closed at once          |
 * | `reset()`            | open connections reset (RST); new ones reset at once                         |
 * | `blackhole()`        | connections accepted, nothing forwarded either way, nothing answered; the   |
 * |                      | held bytes flow on `heal()` (as TCP retransmission would deliver them)       |
 * | `cut(p)`             | each answer chunk is, with probability `p`, cut in half and the connection   |
 * |                      | reset (a response cut mid-body)                                              |
 * | `partition(dir)`     | bytes in one direction (`up`: client→target, `down`: target→client) are lost |
 *
 * `heal()` ends the fault. `retarget()` points new connections elsewhere (a registry restarted on
 * another port keeps the address its clients know). Every socket it opens it closes on `close()`.
 */
import { createServer, type Server, Socket } from 'node:net';

/** The fault currently injected. */
export type Fault =
  | { readonly kind: 'none' }
  | { readonly kind: 'delay'; readonly ms: number; readonly direction: 'both' | 'up' | 'down' }
  | { readonly kind: 'drop' }
  | { readonly kind: 'reset' }
  | { readonly kind: 'blackhole' }
  | { readonly kind: 'cut'; readonly probability: number }
  | { readonly kind: 'partition'; readonly direction: 'up' | 'down' };

/** Counters of a {@link FaultProxy}. */
export interface FaultProxyStats {
  /** Connections accepted since start. */
  readonly accepted: number;
  /** Connections open now. */
  readonly open: number;
  /** Bytes forwarded client → target and target → client. */
  readonly bytesUp: number;
  readonly bytesDown: number;
  /** Connections the proxy ended because of a fault (drop, reset, cut). */
  readonly faulted: number;
}

/** A running proxy. */
export interface FaultProxy {
  /** The proxy's port on 127.0.0.1. */
  readonly port: number;
  /** `127.0.0.1:<port>`. */
  readonly endpoint: string;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The fault in force. */
  readonly fault: Fault;
  /** Adds `ms` of latency to every chunk in both directions, or only `up` (requests) or `down` (answers). */
  delay(ms: number, direction?: 'both' | 'up' | 'down'): void;
  /** Closes open connections (FIN) and closes new ones at once. */
  drop(): void;
  /** Resets open connections (RST) and new ones at once. */
  reset(): void;
  /** Accepts connections but forwards nothing either way until {@link heal}. */
  blackhole(): void;
  /** Cuts answer chunks in half and resets the connection, each with `probability` (default 1). */
  cut(probability?: number): void;
  /** Loses every byte in one direction: `up` (client → target) or `down` (target → client). */
  partition(direction: 'up' | 'down'): void;
  /** Ends the fault: forwarding is normal again (bytes held by a blackhole flow now). */
  heal(): void;
  /** New connections go to `target` (`host:port` on loopback) from now on. */
  retarget(target: string): void;
  stats(): FaultProxyStats;
  /** Destroys every connection and stops listening. */
  close(): Promise<void>;
}

/** Options of {@link startFaultProxy}. */
export interface FaultProxyOptions {
  /** Randomness for `cut(probability)`, [0, 1). Default Math.random. */
  readonly random?: () => number;
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[?::1\]?)$/;

function parseTarget(target: string): { host: string; port: number } {
  const at = target.lastIndexOf(':');
  const host = target.slice(0, at).replace(/^\[|\]$/g, '');
  const port = Number(target.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535)
    throw new Error(`fault proxy: target must be host:port, got ${target}`);
  if (!LOOPBACK.test(host)) throw new Error(`fault proxy: tests only send traffic to loopback, got ${host}`);
  return { host, port };
}

/** One proxied connection: the client's socket, the target's, and the bytes a blackhole holds. */
class Link {
  readonly client: Socket;
  upstream: Socket | undefined;
  readonly heldUp: Buffer[] = [];
  readonly heldDown: Buffer[] = [];
  /** Time before which no chunk may be written, per direction (keeps order under delay). */
  readyUp = 0;
  readyDown = 0;
  closed = false;
  /** Being cut: nothing more is forwarded. */
  cutting = false;

  constructor(client: Socket) {
    this.client = client;
  }

  destroy(how: 'fin' | 'rst'): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of [this.client, this.upstream]) {
      if (!s || s.destroyed) continue;
      if (how === 'rst') s.resetAndDestroy();
      else s.destroySoon();
    }
  }
}

/** Starts a proxy to `target` (`host:port`, loopback) on a free port of 127.0.0.1. */
export async function startFaultProxy(target: string, options: FaultProxyOptions = {}): Promise<FaultProxy> {
  const random = options.random ?? Math.random;
  let to = parseTarget(target);
  let fault: Fault = { kind: 'none' };
  const links = new Set<Link>();
  const timers = new Set<NodeJS.Timeout>();
  let accepted = 0;
  let bytesUp = 0;
  let bytesDown = 0;
  let faulted = 0;

  const end = (link: Link, how: 'fin' | 'rst') => {
    if (link.closed) return;
    faulted++;
    link.destroy(how);
    links.delete(link);
  };

  const write = (link: Link, dir: 'up' | 'down', chunk: Buffer) => {
    const socket = dir === 'up' ? link.upstream : link.client;
    if (link.closed || !socket || socket.destroyed) return;
    if (dir === 'up') bytesUp += chunk.length;
    else bytesDown += chunk.length;
    socket.write(chunk);
  };

  // Applies the fault in force to one chunk travelling in `dir`.
  const forward = (link: Link, dir: 'up' | 'down', chunk: Buffer) => {
    if (link.cutting) return;
    const f = fault;
    switch (f.kind) {
      case 'blackhole':
        (dir === 'up' ? link.heldUp : link.heldDown).push(chunk);
        return;
      case 'partition':
        if (f.direction === dir) return;
        break;
      case 'drop':
        end(link, 'fin');
        return;
      case 'reset':
        end(link, 'rst');
        return;
      case 'cut':
        if (dir === 'down' && random() < f.probability) {
          // Half the chunk reaches the client, then the reset: a response cut mid-body.
          link.cutting = true;
          const half = chunk.subarray(0, Math.max(1, chunk.length >> 1));
          bytesDown += half.length;
          link.client.write(half, () => setTimeout(() => end(link, 'rst'), 10));
          return;
        }
        break;
      case 'delay': {
        if (f.direction !== 'both' && f.direction !== dir) break;
        const now = Date.now();
        const at = Math.max(now + f.ms, dir === 'up' ? link.readyUp : link.readyDown);
        if (dir === 'up') link.readyUp = at;
        else link.readyDown = at;
        const timer = setTimeout(() => {
          timers.delete(timer);
          write(link, dir, chunk);
        }, at - now);
        timers.add(timer);
        return;
      }
      case 'none':
        break;
    }
    // A chunk delayed earlier must not be overtaken by one sent after the delay ended.
    const ready = dir === 'up' ? link.readyUp : link.readyDown;
    if (ready > Date.now()) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        write(link, dir, chunk);
      }, ready - Date.now());
      timers.add(timer);
      return;
    }
    write(link, dir, chunk);
  };

  const connectUpstream = (link: Link) => {
    const upstream = new Socket();
    link.upstream = upstream;
    upstream.on('data', (chunk: Buffer) => forward(link, 'down', chunk));
    upstream.on('error', () => end(link, 'rst'));
    upstream.on('close', () => {
      if (!link.closed) {
        link.closed = true;
        link.client.destroySoon();
        links.delete(link);
      }
    });
    upstream.connect(to.port, to.host, () => {
      for (const chunk of link.heldUp.splice(0)) forward(link, 'up', chunk);
    });
  };

  const server: Server = createServer((client) => {
    accepted++;
    const link = new Link(client);
    links.add(link);
    client.on('error', () => end(link, 'rst'));
    client.on('close', () => {
      if (!link.closed) {
        link.closed = true;
        link.upstream?.destroySoon();
        links.delete(link);
      }
    });
    if (fault.kind === 'drop') return end(link, 'fin');
    if (fault.kind === 'reset') return end(link, 'rst');
    client.on('data', (chunk: Buffer) => {
      if (!link.upstream || link.upstream.connecting) {
        // Not connected yet (or held by a blackhole): keep the bytes, in order.
        if (fault.kind === 'drop' || fault.kind === 'reset') return forward(link, 'up', chunk);
        link.heldUp.push(chunk);
        return;
      }
      forward(link, 'up', chunk);
    });
    // A blackhole accepts but does not even reach the target; the connection is made on heal.
    if (fault.kind !== 'blackhole') connectUpstream(link);
  });
  server.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('fault proxy: no port');
  const port = address.port;

  const set = (next: Fault) => {
    fault = next;
    if (next.kind === 'drop' || next.kind === 'reset') {
      for (const link of [...links]) end(link, next.kind === 'drop' ? 'fin' : 'rst');
    }
  };

  return {
    port,
    endpoint: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    get fault() {
      return fault;
    },
    delay(ms, direction = 'both') {
      if (!(ms >= 0)) throw new Error('fault proxy: delay needs ms ≥ 0');
      if (direction !== 'both' && direction !== 'up' && direction !== 'down')
        throw new Error("fault proxy: delay direction is 'both', 'up' or 'down'");
      set({ kind: 'delay', ms, direction });
    },
    drop: () => set({ kind: 'drop' }),
    reset: () => set({ kind: 'reset' }),
    blackhole: () => set({ kind: 'blackhole' }),
    cut(probability = 1) {
      if (!(probability >= 0 && probability <= 1)) throw new Error('fault proxy: cut needs 0 ≤ probability ≤ 1');
      set({ kind: 'cut', probability });
    },
    partition(direction) {
      if (direction !== 'up' && direction !== 'down') throw new Error("fault proxy: partition needs 'up' or 'down'");
      set({ kind: 'partition', direction });
    },
    heal() {
      const was = fault;
      fault = { kind: 'none' };
      if (was.kind !== 'blackhole') return;
      for (const link of [...links]) {
        if (link.closed) continue;
        if (!link.upstream) connectUpstream(link);
        else {
          for (const chunk of link.heldUp.splice(0)) forward(link, 'up', chunk);
          for (const chunk of link.heldDown.splice(0)) forward(link, 'down', chunk);
        }
      }
    },
    retarget(next) {
      to = parseTarget(next);
    },
    stats: () => ({ accepted, open: links.size, bytesUp, bytesDown, faulted }),
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const link of [...links]) link.destroy('rst');
      links.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
