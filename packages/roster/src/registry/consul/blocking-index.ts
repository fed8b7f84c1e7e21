/**
 * The index of a Consul blocking-query watch, handled as Consul documents it for clients
 * (https://developer.hashicorp.com/consul/api-docs/features/blocking, "Implementation details"):
 * an index lower than the one we asked with means the server's state was reset (a restore, a
 * restart with an empty data directory, another server): start over from 0; an index of 0 or
 * less is clamped to 1 (index 0 would not block and would spin); an index that did not move is
 * not an update. One addition (D53): after a failed query the next one is sent without an index
 * (answered at once), because the server may have restarted and counted back up to the very index
 * we hold — a blocking query would then wait for its whole `wait` while the content had changed.
 * The answer is still compared with the last index, so a reset is seen. It also keeps the revisions it hands out increasing across resets, as the
 * Registry contract asks (`Snapshot.revision` never goes backwards within one Registry).
 */

/** What one answer of a blocking query means. */
export interface IndexStep {
  /** The answer's index is lower than the one asked with: the server's state was reset. */
  readonly reset: boolean;
  /** The index moved (or this is the first answer): the answer may carry a change. */
  readonly moved: boolean;
  /** Revision for a snapshot built from this answer: increases whenever `moved`, never goes back. */
  readonly revision: number;
}

/** The cursor of one watch. */
export class BlockingIndex {
  /** Index of the last answer (0: none, or reset). */
  #last = 0;
  /** The next query goes without an index (after a failure). */
  #fresh = false;
  #offset = 0;
  #delivered = 0;

  /** The `index` to send with the next query (0: no blocking, answer at once). */
  get index(): number {
    return this.#fresh ? 0 : this.#last;
  }

  /** A query failed (connection lost, 5xx): ask the next time without an index. */
  interrupted(): void {
    this.#fresh = true;
  }

  /** Takes the `X-Consul-Index` of an answer to a query sent with {@link index}. */
  advance(returned: number): IndexStep {
    const got = Number.isFinite(returned) && returned >= 1 ? Math.floor(returned) : 1;
    const asked = this.index;
    const last = this.#last;
    this.#fresh = false;
    if (last > 0 && got < last) {
      // Consul: "reset the index if it goes backwards". The answer itself is the new state.
      this.#last = 0;
      return { reset: true, moved: true, revision: this.#revision(got) };
    }
    this.#last = got;
    if (asked > 0 && got === asked) return { reset: false, moved: false, revision: this.#delivered };
    // An answer to a query without index may carry a change even at the same index (see above).
    return { reset: false, moved: true, revision: this.#revision(got) };
  }

  #revision(index: number): number {
    let revision = index + this.#offset;
    if (revision <= this.#delivered) {
      this.#offset += this.#delivered - revision + 1;
      revision = this.#delivered + 1;
    }
    this.#delivered = revision;
    return revision;
  }
}

/**
 * True when a blocking query that did not move came back too early to be a timeout (before half
 * its wait): a server answering at once without a change. The watch then waits before asking
 * again instead of spinning.
 */
export function returnedEarly(step: IndexStep, askedIndex: number, elapsedMs: number, waitMs: number): boolean {
  return askedIndex > 0 && !step.moved && elapsedMs < waitMs / 2;
}
