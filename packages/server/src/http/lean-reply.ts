/**
 * The reply of a request answered before Fastify (lean-path.ts): the same writes as Fastify's
 * reply for what reply.ts asks of it — headers kept lower-case in the order they were set,
 * `send` adds Content-Length (`0` without a body) last and writes head and body with one `end`.
 */
import type { ServerResponse } from 'node:http';
import type { ReplyLike } from './reply.js';

export class LeanReply implements ReplyLike {
  readonly raw: ServerResponse;
  statusCode = 200;
  /** Names (lower-case) and values, in the order set; a name set again keeps its place. */
  readonly #names: string[] = [];
  readonly #values: string[] = [];

  constructor(raw: ServerResponse) {
    this.raw = raw;
  }

  header(name: string, value: string): this {
    const key = name.toLowerCase();
    const at = this.#names.indexOf(key);
    if (at >= 0) this.#values[at] = value;
    else {
      this.#names.push(key);
      this.#values.push(value);
    }
    return this;
  }

  getHeader(name: string): string | undefined {
    const at = this.#names.indexOf(name.toLowerCase());
    return at >= 0 ? this.#values[at] : undefined;
  }

  getHeaders(): Record<string, string> {
    const out: Record<string, string> = {};
    for (let i = 0; i < this.#names.length; i++) out[this.#names[i]!] = this.#values[i]!;
    return out;
  }

  code(status: number): this {
    this.statusCode = status;
    return this;
  }

  /** Writes the answer: status, headers, Content-Length, body (a 204 or 304 gets no length). */
  send(body?: Buffer): this {
    const head: string[] = [];
    for (let i = 0; i < this.#names.length; i++) {
      if (this.#names[i] !== 'content-length') head.push(this.#names[i]!, this.#values[i]!);
    }
    const status = this.statusCode;
    if (body !== undefined) head.push('content-length', String(body.length));
    else if (status >= 200 && status !== 204 && status !== 304) head.push('content-length', '0');
    this.raw.writeHead(status, head);
    this.raw.end(body);
    return this;
  }

  /** The answer is written to {@link raw} by the caller (reply.ts, held reads, streams). */
  hijack(): this {
    return this;
  }
}
