/**
 * How a failed command tells the user: one line naming what is wrong, the exit code that says
 * what kind of failure it was, and the stack trace only with `--debug`.
 */
import { ErrorCode, isRosterError } from '@rosterjs/roster';
import { CliError } from './cli-error.js';
import { ExitCode } from './exit-code.js';

/** The exit code a command ends with after `error`. */
export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof CliError) return error.exitCode;
  if (!isRosterError(error)) return ExitCode.Failure;
  switch (error.code) {
    case ErrorCode.InvalidArgument:
      return ExitCode.Usage;
    case ErrorCode.NotFound:
      return ExitCode.NotFound;
    case ErrorCode.RegistryUnavailable:
    case ErrorCode.Timeout:
      return ExitCode.Unavailable;
    default:
      return ExitCode.Failure;
  }
}

/** The one-line explanation of `error` (without the command name). */
export function describeError(error: unknown): string {
  if (error instanceof CliError) return error.message;
  if (isRosterError(error)) {
    switch (error.code) {
      case ErrorCode.RegistryUnavailable:
      case ErrorCode.Timeout:
        return `cannot reach the registry: ${error.message} (is it running? choose it with --registry or ROSTER_REGISTRY)`;
      case ErrorCode.AccessDenied:
        return `${error.message} (Consul-API registries: give a token with --token-file <file>, ROSTER_TOKEN or CONSUL_HTTP_TOKEN)`;
      default:
        return error.message;
    }
  }
  if (error instanceof Error) return `${error.message} (unexpected: run again with --debug for the stack trace)`;
  return String(error);
}

/** The stack trace of `error` and of its causes, for `--debug`. */
export function debugDetails(error: unknown): string {
  const lines: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    const text = current instanceof Error ? (current.stack ?? current.message) : JSON.stringify(current);
    lines.push(depth === 0 ? text : `caused by: ${text}`);
    current = current instanceof Error ? current.cause : undefined;
  }
  return lines.join('\n');
}

/**
 * Writes the explanation of `error` to stderr (`roster <command>: …`, plus the stack with
 * `debug`) and returns the exit code.
 */
export function reportError(command: string, error: unknown, debug: boolean): ExitCode {
  process.stderr.write(`roster ${command}: ${describeError(error)}\n`);
  if (debug) process.stderr.write(`${debugDetails(error)}\n`);
  return exitCodeOf(error);
}
