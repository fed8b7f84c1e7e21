/**
 * The limit on open client connections. Connections are counted as they open and close; one
 * that opens while the limit is reached is still accepted, so that its first request can be
 * answered 503 with a text saying why (a refused TCP connection would tell the client nothing),
 * and then closed.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';

/** Tracks the connections of one HTTP server. */
export class ConnectionLimit {
  readonly #max: number;
  readonly #over = new WeakSet<Socket>();
  #open = 0;

  /**
   * Starts counting the connections of `server`. Over TLS the sockets counted are the TLS
   * sockets, once their handshake is done: those are the sockets requests arrive on (the raw
   * TCP socket of 'connection' never is, so a TLS connection over the limit was not refused);
   * a connection still in its handshake is bounded by Node's handshake timeout instead.
   */
  constructor(server: Server, max: number) {
    this.#max = max;
    server.on(server instanceof TlsServer ? 'secureConnection' : 'connection', (socket: Socket) => {
      this.#open++;
      if (this.#open > this.#max) this.#over.add(socket);
      socket.once('close', () => {
        this.#open--;
      });
    });
  }

  /** Open connections. */
  get open(): number {
    return this.#open;
  }

  /** The limit. */
  get max(): number {
    return this.#max;
  }

  /** True when `socket` was opened while the limit was reached. */
  isOver(socket: Socket): boolean {
    return this.#over.has(socket);
  }
}
