/**
 * Exit codes of the `roster` command (documented in docs/cli.md). Scripts may rely on them:
 * they are never renumbered; new ones may be added.
 */
export const ExitCode = {
  /** The command did what was asked. */
  Ok: 0,
  /** The command failed (the registry refused, an unexpected error). */
  Failure: 1,
  /** The command line is wrong: unknown command or option, missing or invalid argument. */
  Usage: 2,
  /** What the command names does not exist: no such instance, no instances of the service, no such check. */
  NotFound: 3,
  /** The registry could not be reached (connection refused, timed out, answered 5xx). */
  Unavailable: 4,
  /** `health`: the service has instances, but none can take traffic (all critical). */
  Unhealthy: 5,
  /** Ended by a second Ctrl-C while cleaning up (128 + SIGINT). */
  Interrupted: 130,
} as const;

/** One of the values of {@link ExitCode}. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
