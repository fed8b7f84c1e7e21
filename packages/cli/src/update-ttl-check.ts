/**
 * `roster pass / warn / fail`: the update of a TTL check by its id, through the Consul backend's
 * `updateTtlCheck` (the one implementation, also used by a Lease's renewals). The Registry
 * contract has no check-id operations (an instance reports its own health through its Lease),
 * and etcd has no checks at all; so these commands work only with Consul-API registries (roster
 * serve, Consul). Token (`--token-file`, ROSTER_TOKEN, CONSUL_HTTP_TOKEN…), TLS and datacenter
 * (`?dc=`) are read as the Consul backend reads them.
 */
import type { HealthStatus } from '@rosterjs/roster';
import { consulBaseUrl, updateTtlCheck as sendUpdate } from '@rosterjs/roster/consul';
import { CliError } from './cli-error.js';
import { ExitCode } from './exit-code.js';
import { type RegistryOptions, registryTarget } from './registry-option.js';

/** How long one update may take. */
const TIMEOUT_MS = 10_000;

/**
 * Sets the status (and note) of TTL check `checkId` on the Consul-API registry at `registryUrl`.
 * @throws CliError: usage (not a Consul-API URL), not found (no such check), failure (not a
 *   TTL check); the backend's RosterErrors (unreachable, 5xx, refused token), which the CLI
 *   reports like every command's.
 */
export async function updateTtlCheck(
  options: RegistryOptions,
  checkId: string,
  status: HealthStatus,
  note: string | undefined,
): Promise<void> {
  const target = registryTarget(options);
  const registryUrl = target.url;
  try {
    consulBaseUrl(registryUrl);
  } catch (error) {
    // A Consul-API URL that is wrong in itself (credentials, a path): say what is wrong with it.
    if (/^(consul|https?)[+:]/i.test(registryUrl)) throw error;
    throw new CliError(
      ExitCode.Usage,
      `--registry ${registryUrl}: pass / warn / fail update TTL checks through the Consul HTTP API, so they need a ` +
        'consul:// or http(s):// registry (roster serve, Consul); with etcd an instance reports its own health through its lease',
    );
  }
  const outcome = await sendUpdate(checkId, status, {
    ...target.options.consul,
    url: registryUrl,
    timeoutMs: TIMEOUT_MS,
    ...(note === undefined ? {} : { note }),
  });
  if (outcome === 'not-found') throw new CliError(ExitCode.NotFound, `no check "${checkId}" (the registry answered 404)`);
  if (outcome === 'not-ttl')
    throw new CliError(ExitCode.Failure, `check "${checkId}" is not a TTL check: the registry runs it, it takes no pass / fail`);
}
