/**
 * How a call moves between etcd members. These two policies replace etcd3's defaults (three
 * attempts; per member a circuit breaker that opens for 5 s after three consecutive failures).
 * Measured on a 3-member cluster: after a kill -9 of the leader, the writes that followers had
 * forwarded to it are never answered, so they time out on *healthy* followers, and etcd3's
 * breaker then shut those followers out for 5 s: no write succeeded for 5 s after the failover.
 *
 *   callOnMembers: try the call on up to `attempts` members in turn, on transient errors only
 *   (etcd3 passes a fresh member each time); every attempt has its own deadline (set by the
 *   connection), shorter than the call's limit, so a write lost with the old leader is sent
 *   again to the new one.
 *   skipFailingMember: a member that could not be reached `failures` times in a row is skipped
 *   for `cooldownMs` (a dead or partitioned member costs nothing meanwhile); any answer from the
 *   member resets it, also an error answer such as "no leader". Calls we cancelled ourselves are
 *   not failures.
 *
 * Retrying a call is safe for every call this backend makes: puts and deletes of one key are
 * idempotent, a repeated revoke finds nothing, and a repeated grant at worst leaves an unused
 * lease that expires after its TTL.
 */

/** The part of a cockatiel policy that etcd3's connection pool uses. */
export interface MemberPolicy {
  execute<T>(fn: (context: { signal: AbortSignal; attempt: number }) => PromiseLike<T> | T): Promise<T>;
}

/** Thrown instead of calling a member that is being skipped (etcd3 then tries the next one). */
export class MemberSkippedError extends Error {
  constructor(until: number) {
    super(`etcd member skipped after repeated failures (until ${new Date(until).toISOString()})`);
    this.name = 'MemberSkippedError';
  }
}

const neverAborted = new AbortController().signal;

/** Runs a call up to `attempts` times while it fails with an error `isTransient` accepts. */
export function callOnMembers(attempts: number, isTransient: (error: Error) => boolean): MemberPolicy {
  return {
    async execute(fn) {
      let last: unknown;
      for (let attempt = 0; attempt < attempts; attempt++) {
        try {
          return await fn({ signal: neverAborted, attempt });
        } catch (error) {
          if (!(error instanceof Error) || !isTransient(error)) throw error;
          last = error;
        }
      }
      throw last;
    },
  };
}

/** Options of {@link skipFailingMember}. */
export interface SkipOptions {
  /** Consecutive transient failures before the member is skipped. */
  readonly failures: number;
  readonly cooldownMs: number;
  readonly now: () => number;
  readonly isTransient: (error: Error) => boolean;
}

const CANCELLED_BY_US = /cancelled on client/i;
// An answer from etcd itself ("etcdserver: no leader", "etcdserver: request timed out"): the
// member is up, and skipping it would only delay the moment it can serve again.
const ANSWERED = /etcdserver:/;

/** A per-member policy: skip the member for a while after repeated transient failures. */
export function skipFailingMember(options: SkipOptions): MemberPolicy {
  let failures = 0;
  let skipUntil = 0;
  return {
    async execute(fn) {
      const now = options.now();
      if (now < skipUntil) throw new MemberSkippedError(skipUntil);
      try {
        const value = await fn({ signal: neverAborted, attempt: 0 });
        failures = 0;
        return value;
      } catch (error) {
        if (!(error instanceof Error) || !options.isTransient(error) || ANSWERED.test(error.message)) failures = 0;
        else if (!CANCELLED_BY_US.test(error.message)) {
          failures++;
          if (failures >= options.failures) {
            skipUntil = options.now() + options.cooldownMs;
            failures = options.failures - 1; // after the cooldown, one more failure skips it again
          }
        }
        throw error;
      }
    },
  };
}
