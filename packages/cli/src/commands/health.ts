/**
 * `roster health <service>`: is the service usable? One line for people, an exit code for
 * scripts (0 when at least one instance can take traffic), the details in JSON.
 */
import { Command, Option } from 'commander';
import { cliAction } from '../cli-action.js';
import { ExitCode } from '../exit-code.js';
import { hostPort } from '../format-instance.js';
import { healthReasons } from '../health-reasons.js';
import { formatTable } from '../format-table.js';
import { countHealth, describeCounts, serviceHealth } from '../health-counts.js';
import { type RegistryOptions, withRegistry, withRegistryOptions } from '../registry-option.js';
import { styleFor } from '../style.js';

interface HealthOptions extends RegistryOptions {
  readonly json?: boolean;
}

/** The `health` command. */
export function healthCommand(): Command {
  const command = new Command('health')
    .description("summarize a service's health: passing, warning (degraded) or critical")
    .argument('<service>', 'service name')
    .addOption(new Option('--json', 'print JSON: { service, status, passing, warning, critical, instances }'))
    .addHelpText(
      'after',
      `
The service is passing when every instance passes, critical when no instance can take
traffic, warning in between. Instances that are not passing are listed with why (the output
of their failing check; roster serve and Consul only, etcd has no check output).

Exit codes: 0 at least one instance is passing or warning; 5 every instance is critical;
3 the service has no instances.

Examples:
  $ roster health orders
  $ until roster health orders >/dev/null; do sleep 1; done   # wait until orders can serve`,
    );
  return withRegistryOptions(command).action(
    cliAction('health', async (service: string, options: HealthOptions) => {
      const snapshot = await withRegistry(options, (registry) => registry.list(service));
      const counts = countHealth(snapshot.instances);
      const status = serviceHealth(counts);
      const total = snapshot.instances.length;
      const code = total === 0 ? ExitCode.NotFound : status === 'critical' ? ExitCode.Unhealthy : ExitCode.Ok;
      const reasons = status === 'passing' ? new Map<string, string>() : await healthReasons(options, service);
      if (options.json) {
        const instances = snapshot.instances.map(({ id, address, port, health }) => ({
          id,
          address,
          port,
          health,
          ...(reasons.has(id) ? { reason: reasons.get(id) } : {}),
        }));
        process.stdout.write(`${JSON.stringify({ service: snapshot.service, status, ...counts, instances }, null, 2)}\n`);
      } else if (total === 0) {
        process.stderr.write(`roster health: no instances of service "${service}" (roster services lists the services that have some)\n`);
      } else {
        const style = styleFor(process.stdout);
        const instances = `${total} ${total === 1 ? 'instance' : 'instances'}`;
        process.stdout.write(`${snapshot.service}: ${style.bold(style.health(status))} (${instances}: ${describeCounts(counts, style)})\n`);
        const unhealthy = snapshot.instances.filter((i) => i.health !== 'passing');
        if (unhealthy.length > 0) {
          process.stdout.write(
            formatTable(
              ['ID', 'ADDRESS', 'HEALTH', 'WHY'],
              unhealthy.map((i) => [i.id, hostPort(i), style.health(i.health), reasons.get(i.id) ?? '-']),
            ),
          );
        }
      }
      return code;
    }),
  );
}
