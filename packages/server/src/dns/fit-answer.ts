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

/** Fits `answer` into `limits`. */
export function fitAnswer(answer: DnsAnswer, limits: FitLimits): FittedAnswer {
  const whole = collect(answer, answer.answers.length, true, Infinity);
  if (answer.answers.length <= limits.maxAnswers && limits.fixedBytes + whole.bytes <= limits.maxBytes) return { ...whole, trimmed: false };
  const count = Math.min(answer.answers.length, Math.max(1, limits.maxAnswers));
  return { ...collect(answer, count, false, limits.maxBytes - limits.fixedBytes), trimmed: true };
}

function collect(answer: DnsAnswer, count: number, everything: boolean, budget: number): Omit<FittedAnswer, 'trimmed'> & { bytes: number } {
  const answers: Answer[] = [];
  const additionals: Answer[] = [];
  const seen = new Set<string>();
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const record = answer.answers[i]!;
    let size = recordLength(record);
    const fresh: Answer[] = [];
    for (const extra of answer.extras[i] ?? []) {
      const key = recordKey(extra);
      if (seen.has(key)) continue;
      fresh.push(extra);
      size += recordLength(extra);
    }
    if (answers.length > 0 && bytes + size > budget) break;
    answers.push(record);
    for (const extra of fresh) {
      seen.add(recordKey(extra));
      additionals.push(extra);
    }
    bytes += size;
  }
  if (!everything) return { answers, authorities: [], additionals, bytes };
  const authorities = [...answer.authorities];
  for (const record of authorities) bytes += recordLength(record);
  for (const record of answer.additionals) {
    additionals.push(record);
    bytes += recordLength(record);
  }
  return { answers, authorities, additionals, bytes };
}

function recordKey(record: Answer): string {
  const data = 'data' in record ? record.data : undefined;
  return `${record.name.toLowerCase()}\u0000${record.type}\u0000${typeof data === 'string' ? data : JSON.stringify(data)}`;
}
