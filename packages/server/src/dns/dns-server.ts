/**
 * roster serve's DNS listeners: one UDP socket and one TCP server on the same address and port
 * (port 0 picks a port free for both). Each query goes through the per-address rate limit and
 * {@link handleMessage}. Bounded: query size, TCP connections, TCP idle time. A bad packet or a
 * misbehaving client never affects the others: every failure is contained per message or per
 * connection.
 */
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { type DnsTransport, handleMessage, type MessageContext } from './handle-message.js';
import type { RateLimiter } from '../limits/rate-limiter.js';

/** Where the DNS interface listens. */
export interface DnsAddress {
  readonly host: string;
  /** The UDP and TCP port. */
  readonly port: number;
}

/** What the listeners need. */
export interface DnsServerParts {
  readonly context: MessageContext;
  /** Per-address token buckets; undefined = no limit. */
  readonly limiter: RateLimiter | undefined;
  readonly bind: string;
  readonly port: number;
  readonly maxQueryBytes: number;
  readonly maxTcpConnections: number;
  readonly tcpIdleTimeoutMs: number;
  /** Told about each query dropped or answered (for metrics). */
  readonly onQuery?: (transport: DnsTransport, outcome: 'answered' | 'dropped' | 'limited') => void;
}

/** Answers a TCP client may leave unread before its connection is closed. */
const MAX_UNREAD_BYTES = 1024 * 1024;
/** How many times a free port is looked for when port 0 was asked for. */
const PORT_ATTEMPTS = 10;

/** The DNS listeners of one server. */
export class DnsServer {
  readonly #parts: DnsServerParts;
  #udp: UdpSocket | undefined;
  #tcp: TcpServer | undefined;
  readonly #connections = new Set<Socket>();
  #address: DnsAddress | undefined;

  constructor(parts: DnsServerParts) {
    this.#parts = parts;
  }

  /** The address after {@link listen}. */
  get address(): DnsAddress | undefined {
    return this.#address;
  }

  /**
   * Binds UDP and TCP on the same port. With port 0, retries when the port the UDP socket got is
   * taken for TCP.
   * @throws the socket error (e.g. EADDRINUSE) when the port cannot be bound.
   */
  async listen(): Promise<DnsAddress> {
    const { bind, port } = this.#parts;
    for (let attempt = 1; ; attempt++) {
      const udp = await this.#bindUdp(port);
      const udpPort = udp.address().port;
      try {
        this.#tcp = await this.#bindTcp(udpPort);
        this.#udp = udp;
        this.#address = { host: bind, port: udpPort };
        return this.#address;
      } catch (error) {
        udp.close();
        if (port !== 0 || attempt >= PORT_ATTEMPTS || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      }
    }
  }

  /** Stops both listeners and closes open TCP connections. Idempotent. */
  async close(): Promise<void> {
    const udp = this.#udp;
    const tcp = this.#tcp;
    this.#udp = undefined;
    this.#tcp = undefined;
    for (const socket of this.#connections) socket.destroy();
    this.#connections.clear();
    await Promise.all([
      udp ? new Promise<void>((resolve) => udp.close(() => resolve())) : undefined,
      tcp ? new Promise<void>((resolve) => tcp.close(() => resolve())) : undefined,
    ]);
  }

  #bindUdp(port: number): Promise<UdpSocket> {
    const { bind } = this.#parts;
    const socket = createSocket({ type: isIPv6(bind) ? 'udp6' : 'udp4' });
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, bind, () => {
        socket.off('error', reject);
        // A send failure (e.g. a client address that vanished) must not end the listener.
        socket.on('error', (error) => this.#parts.context.onError(error));
        socket.on('message', (message, remote) => this.#onDatagram(socket, message, remote));
        resolve(socket);
      });
    });
  }

  #onDatagram(socket: UdpSocket, message: Buffer, remote: RemoteInfo): void {
    const { limiter, maxQueryBytes, onQuery } = this.#parts;
    if (limiter !== undefined && limiter.take(remote.address) > 0) return onQuery?.('udp', 'limited');
    if (message.length > maxQueryBytes) return onQuery?.('udp', 'dropped');
    const reply = handleMessage(message, 'udp', this.#parts.context);
    if (reply === undefined) return onQuery?.('udp', 'dropped');
    onQuery?.('udp', 'answered');
    // No callback: Node then tries a synchronous send first; a failure reaches the 'error' listener.
    socket.send(reply, remote.port, remote.address);
  }

  #bindTcp(port: number): Promise<TcpServer> {
    const { bind } = this.#parts;
    const server = createTcpServer((socket) => this.#onConnection(socket));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host: bind, exclusive: true }, () => {
        server.off('error', reject);
        server.on('error', (error) => this.#parts.context.onError(error));
        resolve(server);
      });
    });
  }

  #onConnection(socket: Socket): void {
    const { maxTcpConnections, tcpIdleTimeoutMs, maxQueryBytes, limiter, onQuery } = this.#parts;
    if (this.#connections.size >= maxTcpConnections) {
      socket.destroy();
      return;
    }
    this.#connections.add(socket);
    socket.setNoDelay(true);
    socket.setTimeout(tcpIdleTimeoutMs, () => socket.destroy());
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.#connections.delete(socket));
    const address = socket.remoteAddress ?? '';
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      // Messages are length-prefixed (RFC 1035 §4.2.2); several may arrive in one chunk.
      while (pending.length >= 2) {
        const length = pending.readUInt16BE(0);
        if (length > maxQueryBytes) {
          onQuery?.('tcp', 'dropped');
          socket.destroy();
          return;
        }
        if (pending.length < 2 + length) break;
        const message = pending.subarray(2, 2 + length);
        pending = pending.subarray(2 + length);
        if (limiter !== undefined && limiter.take(address) > 0) {
          onQuery?.('tcp', 'limited');
          continue;
        }
        const reply = handleMessage(message, 'tcp', this.#parts.context);
        if (reply === undefined) {
          onQuery?.('tcp', 'dropped');
          continue;
        }
        onQuery?.('tcp', 'answered');
        const prefix = Buffer.alloc(2);
        prefix.writeUInt16BE(reply.length);
        socket.write(Buffer.concat([prefix, reply]));
        // A client that sends queries but does not read the answers would make us buffer them
        // without end: past this much unread output the connection is closed.
        if (socket.writableLength > MAX_UNREAD_BYTES) {
          socket.destroy();
          return;
        }
      }
    });
  }
}
