/**
 * The error of a listener that could not listen (`ROSTER_SERVER_LISTEN_FAILED`): the message names
 * the listener, its address and why in words; the socket error is the cause.
 */
import { ServerError, ServerErrorCode } from './errors.js';

/** Which of the server's listeners could not listen. */
export type Listener = 'HTTP' | 'DNS';

/** `listen()` failed for one listener (see the module comment). */
export class ListenError extends ServerError {
  constructor(
    readonly listener: Listener,
    /** Where it tried, e.g. `127.0.0.1:8600 (UDP and TCP)`. */
    readonly address: string,
    cause: unknown,
  ) {
    super(ServerErrorCode.ListenFailed, `cannot listen for ${listener} on ${address}: ${listenReason(cause)}`, { cause });
    this.name = 'ListenError';
  }
}

/** Why a socket could not listen, in words, for the errors a user can act on. */
function listenReason(cause: unknown): string {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') return 'the address is already in use (EADDRINUSE: is another roster serve or a Consul agent running?)';
  if (code === 'EACCES') return 'permission denied (EACCES: ports below 1024 need privileges)';
  if (code === 'EADDRNOTAVAIL') return 'this host has no such address (EADDRNOTAVAIL)';
  return cause instanceof Error ? cause.message : String(cause);
}
