/**
 * registryContract(): the one test suite every backend passes (memory, roster serve through the
 * Consul backend, etcd). It registers each clause of {@link contractClauses} as a vitest test.
 */
import { describe, it } from 'vitest';
import type { Registry } from '../registry/registry.js';
import { type ClauseContext, type ContractClause, contractClauses } from './contract-clauses.js';

/** How to reach the backend under test. */
export interface RegistryContractOptions {
  /** A new client of the backend (each call a new client; all share one backend). */
  connect(): Registry | Promise<Registry>;
  /** Lets backend time pass; default: a real sleep. Give a FakeClock's advance for in-process backends. */
  advance?(ms: number): Promise<void>;
  /** TTL used by the expiry clauses (default 1000 ms). */
  ttlMs?: number;
  /** How long after a missed TTL the backend may take to act on it (default 2000 ms). */
  expiryGraceMs?: number;
  /** How long a change may take to become visible (default 2000 ms). */
  settleMs?: number;
  /**
   * A new client of the same kind of backend whose registry cannot be reached (e.g. pointed at a
   * loopback port nothing listens on), with short timeouts and backoff: for the clause "a watch
   * reports an unreachable registry through onError". Without it, skip that clause with a reason.
   */
  unreachable?(): Registry | Promise<Registry>;
  /** Clauses to skip, by name, each with the reason (printed in the test name). */
  skip?: Readonly<Record<string, string>>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs one clause with tracked clients, closing every client it connected. */
export async function runClause(clause: ContractClause, options: RegistryContractOptions): Promise<void> {
  const clients: Registry[] = [];
  const ctx: ClauseContext = {
    async connect() {
      const client = await options.connect();
      clients.push(client);
      return client;
    },
    advance: options.advance ?? realSleep,
    ttlMs: options.ttlMs ?? 1000,
    expiryGraceMs: options.expiryGraceMs ?? 2000,
    settleMs: options.settleMs ?? 2000,
    unreachable: options.unreachable
      ? async () => {
          const client = await (options.unreachable as () => Registry | Promise<Registry>)();
          clients.push(client);
          return client;
        }
      : undefined,
  };
  try {
    await clause.run(ctx);
  } finally {
    await Promise.allSettled(clients.map((c) => c.close()));
  }
}

/** Declares the Registry contract suite for one backend. Call it at the top level of a test file. */
export function registryContract(name: string, options: RegistryContractOptions): void {
  const unknown = Object.keys(options.skip ?? {}).filter((k) => !contractClauses.some((c) => c.name === k));
  if (unknown.length > 0) throw new Error(`registryContract: unknown clause(s) in skip: ${unknown.join(', ')}`);
  describe(`Registry contract: ${name}`, () => {
    for (const clause of contractClauses) {
      const reason = options.skip?.[clause.name];
      if (reason !== undefined) it.skip(`${clause.name} (skipped: ${reason})`, () => {});
      else it(clause.name, () => runClause(clause, options));
    }
  });
}
