/**
 * The one place the CLI speaks Consul's HTTP API directly: `PUT /v1/agent/check/<verb>/<id>`,
 * the update of a TTL check by its id (`roster pass / warn / fail`). The Registry contract has
 * no check-id operations (an instance reports its own health through its Lease), and etcd has
 * no checks at all; so these commands work only with Consul-API registries (roster serve,
 * Consul). Token (`?token=` in the URL, or CONSUL_HTTP_TOKEN) and datacenter (`?dc=`) are read
 * as the Consul backend reads them.
 */
import type { HealthStatus } from '@rosterjs/roster';
import { consulBaseUrl, consulToken } from '@rosterjs/roster/consul';
import { Agent, request } from 'undici';
import { CliError } from './cli-error.js';
import { ExitCode } from './exit-code.js';

/** How long one update may take. */
const TIMEOUT_MS = 10_000;

const VERB: Record<HealthStatus, 'pass' | 'warn' | 'fail'> = { passing: 'pass', warning: 'warn', critical: 'fail' };

/**
 * Sets the status (and note) of TTL check `checkId` on the Consul-API registry at `registryUrl`.
 * @throws CliError: usage (not a Consul-API URL), not found (no such check), failure (not a
 *   TTL check, refused), unavailable (unreachable, 5xx).
 */
export async function updateTtlCheck(registryUrl: string, checkId: string, status: HealthStatus, note: string | undefined): Promise<void> {
  let base: string;
  let params: URLSearchParams;
  try {
    base = consulBaseUrl(registryUrl);
    params = new URL(registryUrl).searchParams;
  } catch (error) {
    // A Consul-API URL that is wrong in itself (credentials, a path): say what is wrong with it.
    if (/^(consul|https?)[+:]/i.test(registryUrl)) throw error;
    throw new CliError(
      ExitCode.Usage,
      `--registry ${registryUrl}: pass / warn / fail update TTL checks through the Consul HTTP API, so they need a ` +
        'consul:// or http(s):// registry (roster serve, Consul); with etcd an instance reports its own health through its lease',
    );
  }
  const url = new URL(`/v1/agent/check/${VERB[status]}/${encodeURIComponent(checkId)}`, base);
  if (note !== undefined) url.searchParams.set('note', note);
  const dc = params.get('dc');
  if (dc !== null) url.searchParams.set('dc', dc);
  const rawToken = params.get('token') ?? process.env.CONSUL_HTTP_TOKEN;
  // A token that cannot travel in a header is a usage error, not an unreachable registry.
  const token =
    rawToken === undefined || rawToken === '' ? undefined : consulToken(rawToken, params.has('token') ? 'token' : 'CONSUL_HTTP_TOKEN');
  const dispatcher = new Agent();
  let statusCode: number;
  let text: string;
  try {
    const res = await request(url, {
      method: 'PUT',
      dispatcher,
      headers: token === undefined ? {} : { 'x-consul-token': token },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    statusCode = res.statusCode;
    text = (await res.body.text()).trim();
  } catch (error) {
    const reason = error instanceof Error && error.name === 'TimeoutError' ? `timed out after ${TIMEOUT_MS} ms` : (error as Error).message;
    const hint = '(is it running? choose it with --registry or ROSTER_REGISTRY)';
    throw new CliError(ExitCode.Unavailable, `cannot reach the registry at ${base}: ${reason} ${hint}`, { cause: error });
  } finally {
    await dispatcher.close();
  }
  if (statusCode === 200) return;
  const said = text === '' ? `${statusCode}` : `${statusCode}: ${text.slice(0, 200)}`;
  if (statusCode === 404) throw new CliError(ExitCode.NotFound, `no check "${checkId}" (the registry answered ${said})`);
  if (/does not have associated TTL/.test(text))
    throw new CliError(ExitCode.Failure, `check "${checkId}" is not a TTL check: the registry runs it, it takes no pass / fail`);
  if (statusCode === 403)
    throw new CliError(ExitCode.Failure, `permission denied (${said}): give a token with ?token= in --registry or CONSUL_HTTP_TOKEN`);
  if (statusCode >= 500) throw new CliError(ExitCode.Unavailable, `the registry failed (${said})`);
  throw new CliError(ExitCode.Failure, `the registry refused (${said})`);
}
