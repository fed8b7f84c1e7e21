/**
 * One DNS message in, one reply out (or none). Decodes with dns-packet, checks the header as
 * Consul's DNS library does (spec consul-dns.md §1), answers the question ({@link lookup}),
 * fits the reply to the transport (§6), echoes EDNS0 and encodes. Never throws: a message that
 * cannot be decoded gets FORMERR, one that is not a query (or too short to answer) is dropped,
 * and an unexpected failure while answering gets SERVFAIL.
 */
import * as dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, OptAnswer, Question } from 'dns-packet';
import { type DnsAnswer, Rcode } from './dns-answer.js';
import { type FitLimits, fitAnswer } from './fit-answer.js';
import { type LookupContext, lookup } from './lookup.js';

/** How the message arrived. */
export type DnsTransport = 'udp' | 'tcp';

/** What the handler reads, plus a sink for unexpected failures. */
export interface MessageContext extends LookupContext {
  /** Called when answering failed unexpectedly (the client got SERVFAIL). */
  readonly onError: (error: unknown) => void;
}

const AA = 1 << 10;
const TC = 1 << 9;
const RD = 1 << 8;
/** Consul's byte budget for UDP replies without EDNS0. */
const PLAIN_UDP_BYTES = 504;
/** Largest UDP reply with EDNS0 (65535 − IP and UDP headers). */
const MAX_UDP_BYTES = 65_467;
/** Largest TCP reply Consul builds. */
const MAX_TCP_BYTES = 65_523;
/** A label: printable ASCII without the dot, 1–63 characters. */
const LABEL = /^[\x21-\x2d\x2f-\x7e]{1,63}$/;

/** The reply to `message`, or undefined to send nothing. */
export function handleMessage(message: Buffer, transport: DnsTransport, ctx: MessageContext): Buffer | undefined {
  if (message.length < 12) return undefined;
  // Never answer a response: two servers would echo each other forever.
  if ((message[2]! & 0x80) !== 0) return undefined;
  const id = message.readUInt16BE(0);
  const rd = (message[2]! & 0x01) !== 0;
  let request: DecodedPacket;
  try {
    request = dnsPacket.decode(message);
  } catch {
    return headerOnly(id, rd, Rcode.FORMERR);
  }
  if ((message[2]! & 0x78) !== 0) return headerOnly(id, rd, Rcode.NOTIMP);
  const questions = request.questions ?? [];
  const additionals = request.additionals ?? [];
  const opts = additionals.filter((r): r is OptAnswer => r.type === 'OPT');
  if (questions.length !== 1 || (request.answers ?? []).length > 0 || (request.authorities ?? []).length > 0 || opts.length > 1)
    return headerOnly(id, rd, Rcode.FORMERR);
  const question = questions[0]!;
  if (!validName(question.name) || question.class === undefined || question.class.startsWith('UNKNOWN'))
    return headerOnly(id, rd, Rcode.FORMERR);
  const opt = opts[0];
  try {
    const questionOut: Question = { name: question.name, type: question.type, class: question.class };
    const optOut = opt === undefined ? undefined : optReply(opt);
    const limits = limitsOf(transport, opt, ctx.options.udpAnswerLimit, questionOut, optOut);
    const answer: DnsAnswer = question.class === 'IN' || question.class === 'ANY' ? lookup(question, ctx, limits) : refused();
    const fitted = fitAnswer(answer, limits);
    const truncated = fitted.trimmed && transport === 'udp' && ctx.options.truncate;
    return dnsPacket.encode({
      id,
      type: 'response',
      flags: (answer.authoritative ? AA : 0) | (truncated ? TC : 0) | (rd ? RD : 0) | answer.rcode,
      questions: [questionOut],
      answers: fitted.answers,
      authorities: fitted.authorities,
      additionals: optOut ? [...fitted.additionals, optOut] : fitted.additionals,
    });
  } catch (error) {
    ctx.onError(error);
    return headerOnly(id, rd, Rcode.SERVFAIL);
  }
}

function refused(): DnsAnswer {
  return { rcode: Rcode.REFUSED, authoritative: false, answers: [], extras: [], authorities: [], additionals: [] };
}

/** What fits a reply on this transport (spec consul-dns.md §6). */
function limitsOf(
  transport: DnsTransport,
  opt: OptAnswer | undefined,
  udpAnswerLimit: number,
  question: Question,
  optOut: Answer | undefined,
): FitLimits {
  const fixedBytes = dnsPacket.encodingLength({ questions: [question], additionals: optOut ? [optOut] : [] });
  if (transport === 'tcp') return { maxAnswers: Infinity, maxBytes: MAX_TCP_BYTES, fixedBytes };
  if (opt === undefined || opt.udpPayloadSize <= 512)
    return { maxAnswers: Math.min(udpAnswerLimit, 8), maxBytes: PLAIN_UDP_BYTES, fixedBytes };
  return { maxAnswers: Infinity, maxBytes: Math.min(opt.udpPayloadSize, MAX_UDP_BYTES), fixedBytes };
}

function optReply(opt: OptAnswer): Answer {
  const options = (opt.options ?? []).filter((o) => o.code === 8).map((o) => ({ ...o, scopePrefixLength: 0 }));
  return {
    type: 'OPT',
    name: '.',
    udpPayloadSize: opt.udpPayloadSize,
    extendedRcode: 0,
    ednsVersion: 0,
    flags: 0,
    flag_do: false,
    options,
  } as Answer;
}

function headerOnly(id: number, rd: boolean, rcode: Rcode): Buffer {
  return dnsPacket.encode({ id, type: 'response', flags: (rd ? RD : 0) | rcode });
}

function validName(name: string): boolean {
  if (name === '.') return true;
  if (name.length > 253) return false;
  return name
    .replace(/\.$/, '')
    .split('.')
    .every((label) => LABEL.test(label));
}
