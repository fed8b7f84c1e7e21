/**
 * probeRegistry(): before a command trusts what a Consul-API `--registry` answers, one request
 * checks that it is a registry at all. A plain web server or etcd's client port, given as
 * `--registry`, would otherwise answer "no instances" (404 reads as an empty list) instead of an
 * error. etcd:// and memory:// URLs are not probed: their clients speak their own protocol.
 */
import { consulBaseUrl } from '@rosterjs/roster/consul';
import { Agent, request } from 'undici';
import { CliError } from './cli-error.js';
import { ExitCode } from './exit-code.js';

/** How long the probe may take. */
const TIMEOUT_MS = 5_000;

/**
 * Resolves when `registryUrl` is not a Consul-API URL, or when `GET /v1/status/leader` answers as
 * roster serve and Consul do (200 with a JSON string, or 401/403 from an ACL).
 * @throws CliError (unavailable, exit 4): unreachable, or reachable but not a registry.
 */
export async function probeRegistry(registryUrl: string): Promise<void> {
  let base: string;
  try {
    base = consulBaseUrl(registryUrl);
  } catch {
    return; // etcd://, memory://: not a Consul API
  }
  const params = new URL(registryUrl).searchParams;
  const token = params.get('token') ?? process.env.CONSUL_HTTP_TOKEN;
  const dispatcher = new Agent();
  let status: number;
  let body: string;
  try {
    const res = await request(new URL('/v1/status/leader', base), {
      dispatcher,
      headers: token === undefined ? {} : { 'x-consul-token': token },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    status = res.statusCode;
    body = (await res.body.text()).trim();
  } catch (error) {
    const reason = error instanceof Error && error.name === 'TimeoutError' ? `timed out after ${TIMEOUT_MS} ms` : (error as Error).message;
    throw new CliError(
      ExitCode.Unavailable,
      `cannot reach the registry at ${base}: ${reason} (is it running? choose it with --registry or ROSTER_REGISTRY)`,
      {
        cause: error,
      },
    );
  } finally {
    await dispatcher.close();
  }
  if (status === 401 || status === 403) return; // a registry with ACLs: the command itself will say what is denied
  if (status >= 500) throw new CliError(ExitCode.Unavailable, `the registry at ${base} failed (GET /v1/status/leader answered ${status})`);
  if (status === 200 && isJsonString(body)) return;
  const said = body === '' ? `${status}` : `${status}: ${body.replace(/\s+/g, ' ').slice(0, 80)}`;
  throw new CliError(
    ExitCode.Unavailable,
    `${base} is not a registry: GET /v1/status/leader answered ${said} (expected roster serve or Consul there; for etcd use --registry etcd://host:2379)`,
  );
}

function isJsonString(text: string): boolean {
  try {
    return typeof JSON.parse(text) === 'string';
  } catch {
    return false;
  }
}
