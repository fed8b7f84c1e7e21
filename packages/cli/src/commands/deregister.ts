/** `roster deregister <service> <id>`: removes one instance, whoever registered it. */
import { Command } from 'commander';
import { cliAction } from '../cli-action.js';
import { ExitCode } from '../exit-code.js';
import { type RegistryOptions, withRegistry, withRegistryOptions } from '../registry-option.js';

/** The `deregister` command. */
export function deregisterCommand(): Command {
  const command = new Command('deregister')
    .description('remove an instance of a service from the registry')
    .argument('<service>', 'service name')
    .argument('<id>', 'instance id (roster instances <service> lists them)')
    .addHelpText(
      'after',
      `
A process that still holds the registration (roster register --ttl, announce()) registers it
again; stop that process instead. Exit code 3 when there is no such instance.

Example:
  $ roster deregister orders orders-10.0.0.7-8080`,
    );
  return withRegistryOptions(command).action(
    cliAction('deregister', async (service: string, id: string, options: RegistryOptions) => {
      const removed = await withRegistry(options, (registry) => registry.deregister(service, id));
      if (!removed) {
        process.stderr.write(`roster deregister: no instance "${id}" of service "${service}"\n`);
        return ExitCode.NotFound;
      }
      process.stdout.write(`deregistered ${service}/${id}\n`);
      return ExitCode.Ok;
    }),
  );
}
