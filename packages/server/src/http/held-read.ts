/**
 * Held reads that answer themselves when woken (D165). A commit that wakes N held `?index=`
 * queries of one cached read encodes the answer once (the response cache), builds its header
 * list once per header variant (ACL policy, filtered-by-ACLs, consistency, gzip), and writes the
 * same head list and body bytes to each woken connection in the loop that woke them: no promise,
 * no Fastify reply, no per-connection header object. The framework's reply was hijacked when the
 * query was held, so Fastify's onSend hooks never see these answers (the app refuses to start
 * with one: `bypassedHooksError` in app.ts).
 */
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Catalog } from '../catalog/catalog.js';
import type { HoldTarget, WakeReason } from '../blocking/waiters.js';
import type { IndexKey } from '../catalog/indexes.js';
import type { ResponseCache } from './response-cache.js';
import type { DetachedReply } from './route.js';
import { type EncodedBody, encodedLength, joinEncoded } from './encode-json.js';
import { encodedHead, GZIP_HEADERS, GZIP_MIN_BYTES, VARY_HEADERS } from './reply.js';

/** What the answer of a held read depends on besides the catalog. */
export interface HeldReadSpec {
  /** The resource's current index (≥ 1). */
  readonly index: () => number;
  /** Cache key (route, path and query) and the content it was rendered from. */
  readonly key: string;
  readonly contentKey: IndexKey;
  /** Encodes the answer (on a cache miss; once per change for all the reads that share `key`). */
  readonly encode: () => EncodedBody;
}

/** One held read: its spec, its connection, and how it wants the answer. */
export class HeldRead implements HoldTarget {
  /** Reads with equal variants get the same bytes (computed once, when held). */
  readonly variant: string;

  constructor(
    readonly answers: HeldAnswers,
    readonly spec: HeldReadSpec,
    readonly reply: DetachedReply,
    readonly consistency: string,
    readonly gzip: boolean,
  ) {
    // Interned: the reads a change wakes share one string, hashed once, not once per read in the
    // loop that answers them.
    this.variant = answers.intern(`${reply.head.join('\u0000')}\u0001${consistency}\u0001${gzip ? 1 : 0}\u0001${spec.key}`);
  }

  settle(reason: WakeReason): void {
    if (reason !== 'cancelled') this.answers.answer(this);
  }
}

/** An answer ready to write, per cache key, version, index and header variant. */
interface Prepared {
  readonly key: string;
  readonly version: string;
  readonly index: number;
  readonly variant: string;
  head: readonly string[] | undefined;
  body: Buffer | undefined;
  /** Reads waiting for the gzip of this version. */
  waiting: HeldRead[] | undefined;
}

/** What answering needs of the server. */
export interface HeldAnswersDeps {
  readonly catalog: Catalog;
  readonly responses: ResponseCache;
  readonly log: Logger;
}

/** Distinct variants interned at most (past it the table starts again: interning is only a saving). */
const MAX_VARIANTS = 1024;
/** Longest variant interned (characters). */
const MAX_INTERNED_LENGTH = 512;

/** Writes the answers of woken held reads (one per HTTP context). */
export class HeldAnswers {
  readonly #ctx: HeldAnswersDeps;
  /**
   * Answers prepared for the current wake (a handful: one per variant of each woken read). Emptied
   * once the loop that woke them is done, so no answer's bytes are kept past its wake (a pending
   * gzip keeps its own reference).
   */
  readonly #prepared = new Map<string, Prepared>();
  #clearScheduled = false;
  /** The variants of held reads, one string each (bounded: cleared when it reaches {@link MAX_VARIANTS}). */
  readonly #variants = new Map<string, string>();

  constructor(ctx: HeldAnswersDeps) {
    this.#ctx = ctx;
  }

  /** The one instance of `variant` held reads share (see HeldRead). */
  intern(variant: string): string {
    // A long one (a ?filter= expression) is used as it is: the table stays small.
    if (variant.length > MAX_INTERNED_LENGTH) return variant;
    const known = this.#variants.get(variant);
    if (known !== undefined) return known;
    if (this.#variants.size >= MAX_VARIANTS) this.#variants.clear();
    this.#variants.set(variant, variant);
    return variant;
  }

  /** Answers one woken read: builds the answer for its variant once, then writes it. */
  answer(read: HeldRead): void {
    const res = read.reply.res;
    if (res.destroyed || res.headersSent) return;
    let prepared: Prepared;
    try {
      prepared = this.#prepare(read);
    } catch (error) {
      this.#ctx.log.error({ err: error }, 'answering a woken blocking query failed');
      writeFailure(read);
      return;
    }
    if (prepared.body === undefined) {
      prepared.waiting!.push(read);
      return;
    }
    write(res, prepared.head!, prepared.body);
  }

  #prepare(read: HeldRead): Prepared {
    const { spec } = read;
    const ctx = this.#ctx;
    const version = ctx.catalog.contentVersion(spec.contentKey);
    const index = spec.index();
    const { variant } = read;
    const found = this.#prepared.get(variant);
    if (found && found.version === version && found.index === index) return found;
    const encoded = ctx.responses.getOrEncode(spec.key, version, spec.encode);
    if (this.#prepared.size >= 256) this.#prepared.clear();
    if (!this.#clearScheduled) {
      this.#clearScheduled = true;
      setImmediate(() => {
        this.#clearScheduled = false;
        this.#prepared.clear();
      });
    }
    const prepared: Prepared = { key: spec.key, version, index, variant, head: undefined, body: undefined, waiting: undefined };
    this.#prepared.set(variant, prepared);
    const base = [...read.reply.head];
    if (read.gzip && encodedLength(encoded) >= GZIP_MIN_BYTES) {
      const ready = ctx.responses.gzipReady(spec.key, version, encoded);
      if (ready) {
        prepared.body = ready;
        prepared.head = encodedHead(base, index, read.consistency, GZIP_HEADERS, ready.length);
        return prepared;
      }
      prepared.waiting = [];
      ctx.responses.gzip(spec.key, version, encoded).then(
        (compressed) => {
          prepared.head = encodedHead(base, index, read.consistency, GZIP_HEADERS, compressed.length);
          prepared.body = compressed;
          this.#flush(prepared);
        },
        (error: unknown) => {
          if (this.#prepared.get(variant) === prepared) this.#prepared.delete(variant);
          ctx.log.error({ err: error }, 'compressing a woken blocking query answer failed');
          const waiting = prepared.waiting ?? [];
          prepared.waiting = undefined;
          for (const r of waiting) writeFailure(r);
        },
      );
      return prepared;
    }
    const body = joinEncoded(encoded);
    prepared.body = body;
    prepared.head = encodedHead(base, index, read.consistency, VARY_HEADERS, body.length);
    return prepared;
  }

  #flush(prepared: Prepared): void {
    const waiting = prepared.waiting ?? [];
    prepared.waiting = undefined;
    for (const r of waiting) {
      const res = r.reply.res;
      if (!res.destroyed && !res.headersSent) write(res, prepared.head!, prepared.body!);
    }
  }
}

/** The bytes of a cached answer: the head list and one body buffer, one corked write. */
function write(res: ServerResponse, head: readonly string[], body: Buffer): void {
  res.writeHead(200, head as string[]);
  res.end(body);
}

/** An answer that could not be built: 500, as the framework's error handler would write it. */
function writeFailure(read: HeldRead): void {
  const res = read.reply.res;
  if (res.destroyed || res.headersSent) return;
  const body = Buffer.from('Internal server error');
  res.writeHead(500, [...read.reply.head, 'content-type', 'text/plain; charset=utf-8', 'content-length', String(body.length)]);
  res.end(body);
}
