/**
 * GrpcServerDrainer: drains a grpc-js `Server` without importing grpc-js (the server is
 * duck-typed, so the main entry stays free of the optional peer dependency).
 *
 * A gRPC server keeps serving while the drain's `critical` propagates (clients stop picking it);
 * then `tryShutdown` stops accepting connections and calls, sends GOAWAY, and lets the calls in
 * flight finish; at the time limit `forceShutdown` cuts whatever is left.
 */
import type { Clock } from '../clock.js';
import { settlesWithin } from '../internal/settles-within.js';
import type { CloseOutcome } from './server-drainer.js';

/** The part of a grpc-js `Server` the agent uses (`new Server()` from `@grpc/grpc-js` is one). */
export interface GrpcServerLike {
  tryShutdown(callback: (error?: Error) => void): void;
  forceShutdown(): void;
  bindAsync(...args: never[]): void;
}

/** After `forceShutdown`, how long to wait for `tryShutdown`'s callback before going on. */
const FORCED_SETTLE_MS = 1000;

/** True for an object shaped like a grpc-js `Server`. */
export function isGrpcServer(value: unknown): value is GrpcServerLike {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.tryShutdown === 'function' && typeof v.forceShutdown === 'function' && typeof v.bindAsync === 'function';
}

/** Closes a grpc-js Server gracefully, bounded; see the file comment. */
export class GrpcServerDrainer {
  readonly #server: GrpcServerLike;

  constructor(server: GrpcServerLike) {
    this.#server = server;
  }

  /** Nothing to do while the drain propagates: the server keeps answering calls picked before clients saw `critical`. */
  startDraining(): void {}

  /**
   * `tryShutdown`, resolved once every call in flight finished — or, at `timeoutMs` on `clock`,
   * `forceShutdown` (calls still running are cut) and `forcedConnections: 1` (grpc-js does not
   * tell how many; at least one was open).
   */
  async close(timeoutMs: number, clock: Clock): Promise<CloseOutcome> {
    const server = this.#server;
    const closed = new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    if (await settlesWithin(closed, timeoutMs, clock)) return { forcedConnections: 0 };
    server.forceShutdown();
    await settlesWithin(closed, FORCED_SETTLE_MS, clock);
    return { forcedConnections: 1 };
  }

  dispose(): void {}
}
