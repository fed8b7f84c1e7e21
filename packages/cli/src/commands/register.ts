/**
 * `roster register <service> --port <port>`: announces an instance.
 *
 * Without `--ttl` it registers and exits: the registration stays until someone deregisters it
 * (or a check with `--deregister-after` removes it). With `--ttl` the registration lives only as
 * long as this process renews it: the command keeps running, renewing every ttl/3 and
 * re-registering if the registry forgot it, and deregisters on Ctrl-C (SIGINT/SIGTERM). If the
 * process dies instead, the registry drops the instance once the TTL has run out.
 */
import { Command, Option } from 'commander';
import {
  formatMs,
  InvalidArgumentError,
  type Lease,
  type LeaseEvent,
  type NormalizedCheck,
  type NormalizedRegistration,
  type Registration,
  validateRegistration,
} from '@rosterjs/roster';
import { addressTowards } from '../address-towards.js';
import { collectKeyValue, collectList, parseDuration, parsePort, parseWeight } from '../arg-parsers.js';
import { type RegisterFlags, buildRegistration } from '../build-registration.js';
import { cliAction } from '../cli-action.js';
import { CliError } from '../cli-error.js';
import { ExitCode } from '../exit-code.js';
import { hostPort } from '../format-instance.js';
import { type RegistryOptions, withRegistry, withRegistryOptions } from '../registry-option.js';
import { shutdownSignals } from '../shutdown-signals.js';

interface RegisterOptions extends RegistryOptions, RegisterFlags {
  readonly json?: boolean;
}

/** Which option a field of `validateRegistration` came from. */
function flagOf(field: string): string {
  const check = /^checks\[\d+\]\.(\w+)/.exec(field)?.[1];
  if (check !== undefined) {
    const flags: Record<string, string> = {
      url: '--http',
      interval: '--interval',
      timeout: '--http-timeout',
      ttl: '--check-ttl',
      id: '--check-id',
      deregisterCriticalAfter: '--deregister-after',
    };
    return flags[check] ?? '--http';
  }
  const top = field.replace(/[.[].*$/, '');
  return top === 'service' ? '<service>' : top === 'tags' ? '--tag' : `--${top}`;
}

/**
 * etcd stores registrations but runs no checks (D41): an --http or --check-ttl check there would
 * be printed and then never run, the instance passing forever. Refused before any network call.
 */
function refuseChecksOnEtcd(options: RegisterOptions): void {
  if (!/^etcd(\+https)?:/i.test(options.registry)) return;
  const flag = options.http !== undefined ? '--http' : options.checkTtl !== undefined ? '--check-ttl' : undefined;
  if (flag === undefined) return;
  throw new CliError(
    ExitCode.Usage,
    `${flag}: etcd runs no health checks, so nothing would ever run this one; with etcd, hold the registration with --ttl ` +
      '(it lives while this command runs) or report health from the service with announce(); checks need roster serve or Consul',
  );
}

/** Builds the registration and validates it offline (before any network call), naming the option at fault. */
function validate(service: string, options: RegisterOptions): { registration: Registration; reg: NormalizedRegistration } {
  if (options.checkId !== undefined && options.checkTtl === undefined) throw new CliError(ExitCode.Usage, '--check-id needs --check-ttl');
  if ((options.interval !== undefined || options.httpTimeout !== undefined) && options.http === undefined)
    throw new CliError(ExitCode.Usage, '--interval and --http-timeout need --http');
  if (options.deregisterAfter !== undefined && options.http === undefined && options.checkTtl === undefined)
    throw new CliError(ExitCode.Usage, '--deregister-after needs a check (--http or --check-ttl)');
  const registration = buildRegistration(service, options);
  try {
    return { registration, reg: validateRegistration(registration) };
  } catch (error) {
    if (!(error instanceof InvalidArgumentError)) throw error;
    throw new CliError(ExitCode.Usage, `${flagOf(error.field)}: ${error.message.slice(error.field.length + 2)}`, { cause: error });
  }
}

function describeChecks(reg: NormalizedRegistration): string {
  const what = (c: NormalizedCheck) => {
    switch (c.kind) {
      case 'http':
        return `http ${c.url} every ${formatMs(c.intervalMs)}`;
      case 'tcp':
        return `tcp ${c.target} every ${formatMs(c.intervalMs)}`;
      case 'ttl':
        return `ttl ${formatMs(c.ttlMs)}`;
    }
  };
  return reg.checks.map((c) => `${c.id} (${what(c)})`).join(', ');
}

function leaseLine(event: LeaseEvent, name: string): string | undefined {
  switch (event.type) {
    case 'renew-failed':
      return `roster register: renewing ${name} failed (${event.error.message}); retrying`;
    case 'forgotten':
      return `roster register: the registry forgot ${name}; registering it again`;
    case 'restored':
      return `roster register: ${name} registered again`;
    default:
      return undefined;
  }
}

/** Holds `lease` until a signal (then deregisters) or until it is lost for good (then fails). */
async function hold(lease: Lease, reg: NormalizedRegistration, json: boolean): Promise<ExitCode> {
  using stop = shutdownSignals('register');
  const name = `${reg.service}/${reg.id}`;
  let failing = false;
  lease.onEvent((event) => {
    // One line per outage, not one per retry.
    if (event.type === 'renew-failed' && failing) return;
    failing = event.type === 'renew-failed';
    const line = leaseLine(event, name);
    if (line !== undefined) process.stderr.write(`${line}\n`);
  });
  await new Promise<void>((resolve) => {
    if (stop.signal.aborted || lease.lost.aborted) return resolve();
    stop.signal.addEventListener('abort', () => resolve(), { once: true });
    lease.lost.addEventListener('abort', () => resolve(), { once: true });
  });
  if (!stop.signal.aborted) {
    const reason = lease.lost.reason instanceof Error ? lease.lost.reason.message : String(lease.lost.reason);
    throw new CliError(ExitCode.Failure, `lost the registration of ${name}: ${reason}`, { cause: lease.lost.reason });
  }
  await lease.deregister();
  process.stdout.write(json ? `${JSON.stringify({ deregistered: { service: reg.service, id: reg.id } })}\n` : `deregistered ${name}\n`);
  return ExitCode.Ok;
}

/** The `register` command. */
export function registerCommand(): Command {
  const command = new Command('register')
    .description('register an instance of a service (with --ttl: hold it until Ctrl-C)')
    .argument('<service>', 'service name')
    .addOption(new Option('--port <port>', 'port callers connect to (1-65535)').argParser(parsePort).makeOptionMandatory())
    .addOption(
      new Option(
        '--address <address>',
        'address callers connect to (default: the address this machine reaches the registry from; 127.0.0.1 for a registry on loopback)',
      ),
    )
    .addOption(new Option('--id <id>', 'instance id (default: <service>-<address>-<port>)'))
    .addOption(new Option('--tag <tag>', 'a tag; repeatable, or comma-separated').argParser(collectList))
    .addOption(new Option('--meta <key=value>', 'a metadata entry; repeatable').argParser(collectKeyValue))
    .addOption(new Option('--weight <n>', 'share of traffic for weighted balancers (1-65535, default 1)').argParser(parseWeight))
    .addOption(new Option('--zone <zone>', 'failure domain (availability zone, rack)'))
    .addOption(
      new Option('--ttl <duration>', 'hold the registration: renew it every ttl/3 until Ctrl-C, then deregister').argParser(parseDuration),
    )
    .addOption(new Option('--http <url-or-path>', 'HTTP check the registry runs: a URL, or a path on the instance like /health'))
    .addOption(new Option('--interval <duration>', 'how often the HTTP check runs (default 10s)').argParser(parseDuration))
    .addOption(new Option('--http-timeout <duration>', 'time limit of one HTTP check run').argParser(parseDuration))
    .addOption(new Option('--check-ttl <duration>', 'a TTL check, updated with roster pass / fail <check-id>').argParser(parseDuration))
    .addOption(new Option('--check-id <id>', 'id of the --check-ttl check (default: service:<id>, or service:<id>:2 next to --http)'))
    .addOption(
      new Option('--deregister-after <duration>', 'remove the instance after its checks have been critical this long').argParser(
        parseDuration,
      ),
    )
    .addOption(new Option('--json', 'print the registration as one JSON line'))
    .addHelpText(
      'after',
      `
Without --ttl the command registers and exits; the instance stays until deregistered.
With --ttl it keeps running: it renews the registration every ttl/3, registers it again if the
registry forgot it, and deregisters on Ctrl-C; if the process dies, the registry drops the
instance after the TTL. A process that holds a registration also keeps its TTL checks passing,
so use --check-ttl with pass / fail only without --ttl.

Examples:
  $ roster register orders --port 8080 --http /health --interval 5s
  $ roster register orders --port 8080 --ttl 10s --tag v2 --meta version=2.1   # until Ctrl-C
  $ roster register batch --port 9000 --check-ttl 30s --check-id batch-ttl
  $ roster pass batch-ttl --note "run 42 ok"`,
    );
  return withRegistryOptions(command).action(
    cliAction('register', async (service: string, options: RegisterOptions) => {
      validate(service, { ...options, address: options.address ?? '127.0.0.1' }); // bad input fails before any network call
      refuseChecksOnEtcd(options);
      const address = options.address ?? (await addressTowards(options.registry));
      const { registration, reg } = validate(service, { ...options, address });
      return withRegistry(options, async (registry) => {
        const lease = await registry.register(registration);
        const held = reg.ttlMs > 0;
        if (options.json) {
          const checks = reg.checks.map((c) => ({ id: c.id, kind: c.kind }));
          process.stdout.write(`${JSON.stringify({ registered: lease.instance, checks, ttl: held ? formatMs(reg.ttlMs) : null, held })}\n`);
        } else {
          const checks = reg.checks.length > 0 ? ` (checks: ${describeChecks(reg)})` : '';
          process.stdout.write(`registered ${reg.service}/${reg.id} at ${hostPort(reg)}${checks}\n`);
          const every = formatMs(Math.round(reg.ttlMs / 3));
          if (held) process.stdout.write(`holding it with a ${formatMs(reg.ttlMs)} TTL, renewed every ${every}; Ctrl-C deregisters\n`);
        }
        return held ? hold(lease, reg, options.json === true) : ExitCode.Ok;
      });
    }),
  );
}
