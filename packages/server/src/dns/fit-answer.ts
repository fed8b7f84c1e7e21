/**
 * Fits an answer into the size a transport allows (spec consul-dns.md §6): if every answer fits,
 * nothing changes; otherwise the authority section and the answer-wide additional records are
 * dropped and answers are kept, in order, with the additional records of their SRV targets, while
 * they fit (at least one is always kept).
 */
import * as dnsPacket from 'dns-packet';
import type { Answer } from 'dns-packet';
import type { DnsAnswer } from './dns-answer.js';

/** Limits of one transport. */
export interface FitLimits {
  /** Most answers. */
  readonly maxAnswers: number;
  /** Largest whole message, in bytes. */
  readonly maxBytes: number;
  /** Bytes taken by everything but the records: header, question, OPT. */
  readonly fixedBytes: number;
}

/** The records to send. `trimmed`: some answer did not fit. */
export interface FittedAnswer {
  readonly answers: Answer[];
  readonly authorities: Answer[];
  readonly additionals: Answer[];
  readonly trimmed: boolean;
}

// dns-packet exports per-record codecs (`answer`), which its type declarations leave out.
const recordCodec = (dnsPacket as unknown as { answer: { encodingLength(record: Answer): number } }).answer;

/** Encoded length of one record. */
export function recordLength(record: Answer): number {
  return recordCodec.encodingLength(record);
}

/** Encoded length of a name, as dns-packet writes it. */
export function nameLength(name: string): number {
  return name === '.' || name === '' ? 1 : Buffer.byteLength(name.replace(/^\.|\.$/g, '')) + 2;
}

/** Fits `answer` into `limits`. */
export function fitAnswer(answer: DnsAnswer, limits: FitLimits): FittedAnswer {
  if (answer.answers.length <= limits.maxAnswers) {
    const whole = collect(answer, answer.answers.length, true, limits.maxBytes - limits.fixedBytes);
    if (whole !== undefined) return { ...whole, trimmed: false };
  }
  const count = Math.min(answer.answers.length, Math.max(1, limits.maxAnswers));
  return { ...collect(answer, count, false, limits.maxBytes - limits.fixedBytes)!, trimmed: true };
}

/**
 * The first `count` answers with their extras (and with `everything`, the authority and
 * additional sections). With `everything`, undefined as soon as the records exceed `budget`
 * bytes; otherwise answers stop at the budget (at least one is kept).
 */
function collect(answer: DnsAnswer, count: number, everything: boolean, budget: number): Omit<FittedAnswer, 'trimmed'> | undefined {
  const answers: Answer[] = [];
  const additionals: Answer[] = [];
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const record = answer.answers[i]!;
    const extras = answer.extras[i] ?? [];
    let size = answer.lengths?.[i] ?? -1;
    if (size < 0) {
      size = recordLength(record);
      for (const extra of extras) size += recordLength(extra);
    }
    if (bytes + size > budget) {
      if (everything) return undefined;
      if (answers.length > 0) break;
    }
    answers.push(record);
    // Not de-duplicated, as Consul: HAProxy links each SRV record to "its" additional record and
    // resolves a target whose record it does not find with a separate query, one slot at a time.
    for (const extra of extras) additionals.push(extra);
    bytes += size;
  }
  if (!everything) return { answers, authorities: [], additionals };
  const authorities = [...answer.authorities];
  for (const record of authorities) bytes += recordLength(record);
  for (const record of answer.additionals) {
    additionals.push(record);
    bytes += recordLength(record);
  }
  return bytes > budget ? undefined : { answers, authorities, additionals };
}
