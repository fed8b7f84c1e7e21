/** The shape shared by `roster pass`, `warn` and `fail`: one TTL check update by check id. */
import { Command, Option } from 'commander';
import { type HealthStatus, validateId } from '@rosterjs/roster';
import { cliAction } from './cli-action.js';
import { updateTtlCheck } from './update-ttl-check.js';
import { ExitCode } from './exit-code.js';
import { type RegistryOptions, withRegistryOptions } from './registry-option.js';

interface TtlCheckOptions extends RegistryOptions {
  readonly note?: string;
}

/** A command `name` that sets TTL check `<check-id>` to `status`. */
export function ttlCheckCommand(name: 'pass' | 'warn' | 'fail', status: HealthStatus): Command {
  const command = new Command(name)
    .description(`mark a TTL check ${status} (Consul-API registries: roster serve, Consul)`)
    .argument('<check-id>', 'id of a TTL check (roster register --check-ttl prints it)')
    .addOption(new Option('--note <text>', "the check's output, shown with its status"))
    .addHelpText(
      'after',
      `
TTL checks go critical unless updated within their TTL: a job or a script reports its health
with pass / warn / fail. This uses the Consul HTTP API (PUT /v1/agent/check/${name}/<check-id>),
so --registry must be consul:// or http(s)://. Exit code 3 when there is no such check.
Checks held by a running roster register --ttl or announce() are renewed by that process.

Example:
  $ roster register backup --port 9100 --check-ttl 25h --check-id nightly-backup
  $ roster ${name} nightly-backup --note "${status === 'passing' ? 'backup done in 42 min' : 'backup failed: disk full'}"`,
    );
  return withRegistryOptions(command).action(
    cliAction(name, async (checkId: string, options: TtlCheckOptions) => {
      validateId(checkId, 'check-id');
      await updateTtlCheck(options, checkId, status, options.note);
      process.stdout.write(`check ${checkId}: ${status}${options.note === undefined ? '' : ` (${options.note})`}\n`);
      return ExitCode.Ok;
    }),
  );
}
