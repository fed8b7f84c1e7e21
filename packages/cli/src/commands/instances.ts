/**
 * `roster instances <service>`: every instance of a service with its health, as a table for
 * people (health in colour on a terminal) or as the Snapshot in JSON for scripts.
 */
import { Command, Option } from 'commander';
import { cliAction } from '../cli-action.js';
import { ExitCode } from '../exit-code.js';
import { INSTANCE_HEADER, instanceRow } from '../format-instance.js';
import { formatTable } from '../format-table.js';
import { healthReasons } from '../health-reasons.js';
import { type RegistryOptions, withRegistry, withRegistryOptions } from '../registry-option.js';
import { styleFor } from '../style.js';

interface InstancesOptions extends RegistryOptions {
  readonly json?: boolean;
  readonly passing?: boolean;
}

/** The `instances` command. */
export function instancesCommand(): Command {
  const command = new Command('instances')
    .description('list the instances of a service with their health')
    .argument('<service>', 'service name')
    .addOption(new Option('--passing', 'only instances whose health is passing'))
    .addOption(new Option('--json', 'print the snapshot as JSON ({ service, revision, instances: [...] })'))
    .addHelpText(
      'after',
      `
Health is coloured on a terminal (passing green, warning yellow, critical red); NO_COLOR turns
colours off, FORCE_COLOR=1 forces them. When an instance is not passing, WHY shows its failing
check's output (roster serve and Consul; "reason" in --json). Exit code 3 when the service has
no instances.

Examples:
  $ roster instances orders
  $ roster instances orders --passing --json | jq -r '.instances[] | "\\(.address):\\(.port)"'
  $ roster instances orders --registry etcd://127.0.0.1:2379`,
    );
  return withRegistryOptions(command).action(
    cliAction('instances', async (service: string, options: InstancesOptions) => {
      const snapshot = await withRegistry(options, (registry) => registry.list(service));
      const instances = options.passing ? snapshot.instances.filter((i) => i.health === 'passing') : snapshot.instances;
      const anyFailing = instances.some((i) => i.health !== 'passing');
      const reasons = anyFailing ? await healthReasons(options, service) : new Map<string, string>();
      if (options.json) {
        const withReasons = instances.map((i) => (reasons.has(i.id) ? { ...i, reason: reasons.get(i.id) } : i));
        process.stdout.write(`${JSON.stringify({ ...snapshot, instances: withReasons }, null, 2)}\n`);
      } else if (instances.length > 0) {
        const style = styleFor(process.stdout);
        // WHY (the failing check's output) only when some instance is not passing.
        const header = anyFailing ? [...INSTANCE_HEADER, 'WHY'] : INSTANCE_HEADER;
        const rows = instances.map((i) => (anyFailing ? [...instanceRow(i, style), reasons.get(i.id) ?? '-'] : instanceRow(i, style)));
        process.stdout.write(formatTable(header, rows));
      }
      if (instances.length > 0) return ExitCode.Ok;
      const what = options.passing && snapshot.instances.length > 0 ? 'no passing instances' : 'no instances';
      process.stderr.write(`roster instances: ${what} of service "${service}" (roster services lists the services that have some)\n`);
      return ExitCode.NotFound;
    }),
  );
}
