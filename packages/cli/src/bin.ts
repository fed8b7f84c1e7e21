#!/usr/bin/env node
/**
 * The `roster` command line. One file per command under commands/; exit codes in exit-code.ts
 * (and docs/cli.md).
 *
 * `serve` is loaded only when the command line names it: the server pulls in Fastify, pino and
 * SQLite, which would otherwise slow every `roster instances` down by half a second.
 */
import { readFileSync } from 'node:fs';
import { Command, type CommanderError } from 'commander';
import { deregisterCommand } from './commands/deregister.js';
import { failCommand } from './commands/fail.js';
import { healthCommand } from './commands/health.js';
import { instancesCommand } from './commands/instances.js';
import { passCommand } from './commands/pass.js';
import { registerCommand } from './commands/register.js';
import { servicesCommand } from './commands/services.js';
import { warnCommand } from './commands/warn.js';
import { watchCommand } from './commands/watch.js';
import { ExitCode } from './exit-code.js';
import { DEFAULT_REGISTRY } from './registry-option.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

/** Help and version end with 0; every other commander complaint is a usage error. */
const exitOnUsage = (error: CommanderError): never => process.exit(error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage);

async function serveCommand(): Promise<Command> {
  if (process.argv.slice(2).includes('serve')) return (await import('./commands/serve.js')).serveCommand();
  // Listed in the help only; any command line that runs it contains "serve" and gets the real one.
  return new Command('serve').description('run the registry server (Consul-compatible HTTP API, durable state in SQLite)');
}

const program = new Command('roster')
  .description('service registration and discovery')
  .version(version)
  .exitOverride(exitOnUsage)
  .showHelpAfterError('(add --help for usage)')
  .addHelpText(
    'after',
    `
Every command but serve talks to the registry given by --registry or ROSTER_REGISTRY
(default ${DEFAULT_REGISTRY}: roster serve or Consul; etcd://host:2379 for etcd).

Exit codes: 0 ok, 1 failed, 2 usage error, 3 not found, 4 registry unreachable,
5 (health) no instance can take traffic. Details: docs/cli.md.

Examples:
  $ roster serve
  $ roster register orders --port 8080 --http /health
  $ roster instances orders
  $ roster watch orders`,
  );

for (const command of [
  await serveCommand(),
  registerCommand(),
  deregisterCommand(),
  servicesCommand(),
  instancesCommand(),
  watchCommand(),
  healthCommand(),
  passCommand(),
  warnCommand(),
  failCommand(),
]) {
  program.addCommand(command.copyInheritedSettings(program));
}

await program.parseAsync(process.argv);
