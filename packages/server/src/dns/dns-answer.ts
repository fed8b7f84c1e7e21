/** The answer to one DNS question, before it is fitted to the transport and encoded. */
import type { Answer } from 'dns-packet';

/** The response codes roster serve sends. */
export const Rcode = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

/** One of {@link Rcode}'s values. */
export type Rcode = (typeof Rcode)[keyof typeof Rcode];

/** Records of an answer by section. */
export interface DnsAnswer {
  readonly rcode: Rcode;
  /** AA: true for names in the domain. */
  readonly authoritative: boolean;
  readonly answers: readonly Answer[];
  /**
   * Additional records that belong to one answer (the addresses of an SRV target), by the
   * answer's position: kept exactly as long as that answer is kept.
   */
  readonly extras: readonly (readonly Answer[] | undefined)[];
  readonly authorities: readonly Answer[];
  /** Additional records of the whole answer (node meta TXT): dropped when answers are trimmed. */
  readonly additionals: readonly Answer[];
  /** Encoded length of each answer with its extras, when the lookup knows it (else measured). */
  readonly lengths?: readonly number[];
}

/** An answer with only a response code (and AA). */
export function bare(rcode: Rcode, authoritative: boolean): DnsAnswer {
  return { rcode, authoritative, answers: [], extras: [], authorities: [], additionals: [] };
}
