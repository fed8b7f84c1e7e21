/** CliError: a failure the command explains itself, with the exit code it ends with. */
import type { ExitCode } from './exit-code.js';

/**
 * Thrown by command code for a failure it can name precisely (`--registry etcd://…` given to
 * `pass`, a check that is no TTL check). The message is shown as is, without a stack trace.
 */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  constructor(exitCode: ExitCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}
