/**
 * cliAction(): the wrapper around every command's action. The action returns its exit code
 * (expected outcomes such as "not found" are values); anything it throws is reported by
 * `reportError` as one clear line and mapped to an exit code.
 */
import { Command } from 'commander';
import type { ExitCode } from './exit-code.js';
import { reportError } from './report-error.js';

/** Resolves once everything written to `stream` so far has been handed to the OS. */
const flushed = (stream: NodeJS.WriteStream) => new Promise<void>((resolve) => stream.write('', () => resolve()));

/**
 * Wraps `action` (commander passes the arguments, then the options, then the Command) so that
 * its result becomes the exit code and its errors are reported for `roster <name>`.
 *
 * The process exits as soon as the output is flushed: the command's work is done by then, and
 * what could still be pending (undici closing its sockets takes ~200 ms) must not delay it.
 */
export function cliAction<A extends unknown[]>(name: string, action: (...args: A) => Promise<ExitCode>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const command = args.at(-1);
    const debug = command instanceof Command && command.opts().debug === true;
    let code: ExitCode;
    try {
      code = await action(...args);
    } catch (error) {
      code = reportError(name, error, debug);
    }
    await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
    process.exit(code);
  };
}
