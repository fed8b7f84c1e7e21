/**
 * cliAction(): the wrapper around every command's action. The action returns its exit code
 * (expected outcomes such as "not found" are values); anything it throws is reported by
 * `reportError` as one clear line and mapped to an exit code.
 */
import { Command } from 'commander';
import type { ExitCode } from './exit-code.js';
import { reportError } from './report-error.js';

/**
 * Wraps `action` (commander passes the arguments, then the options, then the Command) so that
 * its result becomes `process.exitCode` and its errors are reported for `roster <name>`.
 * The process then ends on its own (no `process.exit`: output is never cut short).
 */
export function cliAction<A extends unknown[]>(name: string, action: (...args: A) => Promise<ExitCode>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const command = args.at(-1);
    const debug = command instanceof Command && command.opts().debug === true;
    try {
      process.exitCode = await action(...args);
    } catch (error) {
      process.exitCode = reportError(name, error, debug);
    }
  };
}
