/**
 * probeRegistry(): before a command trusts what a Consul-API `--registry` answers, one request
 * checks that it is a registry at all. A plain web server or etcd's client port, given as
 * `--registry`, would otherwise answer "no instances" (404 reads as an empty list) instead of an
 * error. etcd:// and memory:// URLs are not probed: their clients speak their own protocol.
 */
import { type ConsulHttp, consulBaseUrl, consulHttpFor } from '@rosterjs/roster/consul';
import { CliError } from './cli-error.js';
import { ExitCode } from './exit-code.js';
import type { RegistryTarget } from './registry-option.js';

/** How long the probe may take. */
const TIMEOUT_MS = 5_000;

/**
 * Resolves when the target is not a Consul-API URL, or when `GET /v1/status/leader` answers as
 * roster serve and Consul do (200 with a JSON string, or 401/403 from an ACL). Sends the
 * target's token and TLS material as the backend does (the same `consulHttpFor`).
 * @throws CliError (unavailable, exit 4): unreachable, or reachable but not a registry.
 */
export async function probeRegistry(target: RegistryTarget): Promise<void> {
  let base: string;
  try {
    base = consulBaseUrl(target.url);
  } catch {
    return; // etcd://, memory://: not a Consul API
  }
  const http: ConsulHttp = consulHttpFor({ ...target.options.consul, url: target.url, timeoutMs: TIMEOUT_MS });
  let status: number;
  let body: string;
  try {
    const res = await http.send({ method: 'GET', path: '/v1/status/leader' });
    status = res.status;
    body = (typeof res.body === 'string' && !res.contentType.includes('json') ? res.body : JSON.stringify(res.body)).trim();
  } catch (error) {
    const reason = (error as Error).message.replace(/^GET \S+: /, '');
    throw new CliError(
      ExitCode.Unavailable,
      `cannot reach the registry at ${base}: ${reason} (is it running? choose it with --registry or ROSTER_REGISTRY)`,
      {
        cause: error,
      },
    );
  } finally {
    await http.close();
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
