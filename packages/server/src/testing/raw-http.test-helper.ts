/**
 * A raw HTTP/1.1 client for tests that must send what regular clients refuse to (malformed
 * request lines, bad header bytes, bodies trickled byte by byte, unescaped paths) and read the
 * server's answer exactly as it comes over the socket.
 */
import { connect, type Socket } from 'node:net';

/** One answer as read from the socket. */
export interface RawResponse {
  readonly status: number;
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** A client connection to `127.0.0.1:port`. */
export class RawConnection {
  readonly socket: Socket;
  #buffer = Buffer.alloc(0);
  #closed = false;
  #wake: (() => void) | undefined;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#wake?.();
    });
    socket.on('close', () => {
      this.#closed = true;
      this.#wake?.();
    });
    socket.on('error', () => undefined);
  }

  /** Opens a connection. */
  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  /** True once the server (or we) closed the connection. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Writes raw bytes. */
  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Reads the next complete answer; rejects when the connection closes first or after `timeoutMs`. */
  async read(timeoutMs = 10_000): Promise<RawResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = this.#parse();
      if (parsed) return parsed;
      if (this.#closed) throw new Error(`connection closed before a complete answer (${JSON.stringify(this.#buffer.toString())})`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no complete answer in time');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  /** Resolves when the connection is closed (or after `timeoutMs`, with false). */
  async waitClosed(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#closed && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    return this.#closed;
  }

  /** Closes our side. */
  close(): void {
    this.socket.destroy();
  }

  #parse(): RawResponse | undefined {
    const end = this.#buffer.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const [statusLine, ...lines] = this.#buffer.subarray(0, end).toString('latin1').split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const i = line.indexOf(':');
      headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const length = headers['content-length'] === undefined ? 0 : Number(headers['content-length']);
    if (this.#buffer.length < end + 4 + length) return undefined;
    const body = this.#buffer.subarray(end + 4, end + 4 + length).toString();
    this.#buffer = this.#buffer.subarray(end + 4 + length);
    return { status: Number(statusLine!.split(' ')[1]), headers, body };
  }
}

/** Sends `data` on a new connection and reads one answer. */
export async function rawRequest(port: number, data: string | Buffer, timeoutMs?: number): Promise<RawResponse> {
  const c = await RawConnection.open(port);
  try {
    c.write(data);
    return await c.read(timeoutMs);
  } finally {
    c.close();
  }
}
