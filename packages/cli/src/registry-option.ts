/**
 * The options every command that talks to a registry has: `--registry URL` (or
 * `ROSTER_REGISTRY`) and `--debug`; and the one way commands open the registry: `connect()`,
 * so every backend `connect()` knows (consul://, etcd://, memory://) works in every command.
 */
import { type Command, Option } from 'commander';
import { connect, isRosterError, type Registry } from '@rosterjs/roster';
import { CliError } from './cli-error.js';
import { ExitCode } from './exit-code.js';
import { probeRegistry } from './registry-probe.js';

/** Where commands look when neither `--registry` nor `ROSTER_REGISTRY` is given: roster serve's (and Consul's) default address. */
export const DEFAULT_REGISTRY = 'consul://127.0.0.1:8500';

/** The options added by {@link withRegistryOptions}, as commander parses them. */
export interface RegistryOptions {
  readonly registry: string;
  readonly debug?: boolean;
}

/** Adds `--registry <url>` (env `ROSTER_REGISTRY`) and `--debug` to `command`. */
export function withRegistryOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--registry <url>', 'registry to talk to: consul://host:port (roster serve, Consul), etcd://host:port[,host:port]')
        .env('ROSTER_REGISTRY')
        .default(DEFAULT_REGISTRY),
    )
    .addOption(new Option('--debug', 'on failure, print the stack trace too'));
}

/**
 * A Registry client for `url` (from `connect()`).
 * @throws CliError (usage) naming `--registry` when the URL is not one `connect()` accepts.
 */
export function openRegistry(url: string): Registry {
  try {
    return connect(url);
  } catch (error) {
    if (isRosterError(error)) throw new CliError(ExitCode.Usage, `--registry ${error.message.replace(/^url: /, '')}`, { cause: error });
    throw error;
  }
}

/**
 * Runs `body` with a Registry client for `url` and closes the client afterwards (closing never
 * deregisters). A Consul-API URL is first checked to be a registry ({@link probeRegistry}).
 * @throws CliError (exit 4) when it is unreachable or not a registry.
 */
export async function withRegistry<T>(url: string, body: (registry: Registry) => Promise<T>): Promise<T> {
  const registry = openRegistry(url);
  try {
    await probeRegistry(url);
  } catch (error) {
    await registry.close().catch(() => {});
    throw error;
  }
  try {
    return await body(registry);
  } finally {
    await registry.close().catch(() => {});
  }
}
