/** `roster services`: the services that have instances, with how many are healthy. */
import { Command, Option } from 'commander';
import type { Registry } from '@rosterjs/roster';
import { cliAction } from '../cli-action.js';
import { ExitCode } from '../exit-code.js';
import { formatTable } from '../format-table.js';
import { countHealth, type HealthCounts, serviceHealth } from '../health-counts.js';
import { type RegistryOptions, withRegistry, withRegistryOptions } from '../registry-option.js';
import { styleFor } from '../style.js';

interface ServicesOptions extends RegistryOptions {
  readonly json?: boolean;
}

/** One line of `roster services`. */
interface ServiceSummary extends HealthCounts {
  readonly service: string;
  readonly instances: number;
}

/** How many services are listed at once (each is one registry call). */
const CONCURRENCY = 8;

async function summarize(registry: Registry): Promise<ServiceSummary[]> {
  const names = await registry.services();
  const out: ServiceSummary[] = new Array(names.length);
  let next = 0;
  const worker = async () => {
    while (next < names.length) {
      const i = next++;
      const snapshot = await registry.list(names[i] as string);
      out[i] = { service: snapshot.service, instances: snapshot.instances.length, ...countHealth(snapshot.instances) };
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, names.length) }, worker));
  // A service may lose its last instance between the two calls.
  return out.filter((s) => s.instances > 0);
}

/** The `services` command. */
export function servicesCommand(): Command {
  const command = new Command('services')
    .description('list the services that have instances, with their health counts')
    .addOption(new Option('--json', 'print JSON: [{ service, instances, passing, warning, critical }]'))
    .addHelpText(
      'after',
      `
Examples:
  $ roster services
  $ roster services --json | jq -r '.[].service'`,
    );
  return withRegistryOptions(command).action(
    cliAction('services', async (options: ServicesOptions) => {
      const services = await withRegistry(options, summarize);
      if (options.json) {
        process.stdout.write(`${JSON.stringify(services, null, 2)}\n`);
        return ExitCode.Ok;
      }
      if (services.length === 0) {
        process.stderr.write('roster services: no services registered\n');
        return ExitCode.Ok;
      }
      const style = styleFor(process.stdout);
      const rows = services.map((s) => [
        s.service,
        style.health(serviceHealth(s)),
        String(s.instances),
        s.passing === 0 ? '0' : style.health('passing', String(s.passing)),
        s.warning === 0 ? '0' : style.health('warning', String(s.warning)),
        s.critical === 0 ? '0' : style.health('critical', String(s.critical)),
      ]);
      process.stdout.write(formatTable(['SERVICE', 'HEALTH', 'INSTANCES', 'PASSING', 'WARNING', 'CRITICAL'], rows));
      return ExitCode.Ok;
    }),
  );
}
