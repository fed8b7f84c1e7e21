/**
 * healthReasons(): why instances are not passing — the output of their failing checks
 * (`connect ECONNREFUSED 127.0.0.1:8651`, `TTL expired`, …). The Registry contract carries an
 * instance's health but not its checks' outputs, so for Consul-API registries (roster serve,
 * Consul) this reads `GET /v1/health/checks/<service>`; with etcd an instance reports its own
 * health and there is no check output to show.
 */
import { consulBaseUrl, consulHttpFor } from '@rosterjs/roster/consul';
import { type RegistryOptions, registryTarget } from './registry-option.js';

const TIMEOUT_MS = 5_000;
const RANK: Record<string, number> = { critical: 0, warning: 1, maintenance: 0 };

interface ConsulCheck {
  readonly CheckID?: string;
  readonly ServiceID?: string;
  readonly Status?: string;
  readonly Output?: string;
}

/**
 * For each instance id of `service` with a check that is not passing: `<check id>: <output>`
 * of its worst such check (first line, at most 160 characters). Empty for registries without a
 * Consul API, and when the checks cannot be read (the caller has the health already).
 */
export async function healthReasons(options: RegistryOptions, service: string): Promise<Map<string, string>> {
  const reasons = new Map<string, string>();
  const target = registryTarget(options);
  try {
    consulBaseUrl(target.url);
  } catch {
    return reasons;
  }
  // Token, TLS and `?dc=` as the backend sends them (the same consulHttpFor).
  const http = consulHttpFor({ ...target.options.consul, url: target.url, timeoutMs: TIMEOUT_MS });
  try {
    const res = await http.send({ method: 'GET', path: `/v1/health/checks/${encodeURIComponent(service)}` });
    if (res.status !== 200) return reasons;
    const checks = res.body;
    if (!Array.isArray(checks)) return reasons;
    const worst = new Map<string, number>();
    for (const c of checks as ConsulCheck[]) {
      const rank = RANK[c.Status ?? ''];
      if (rank === undefined || typeof c.ServiceID !== 'string' || c.ServiceID === '') continue;
      if ((worst.get(c.ServiceID) ?? Infinity) <= rank) continue;
      worst.set(c.ServiceID, rank);
      const output = (c.Output ?? '').split('\n')[0]!.trim() || c.Status!;
      reasons.set(c.ServiceID, `${c.CheckID ?? 'check'}: ${output.length > 160 ? `${output.slice(0, 157)}...` : output}`);
    }
  } catch {
    // the caller already has the health; the reasons are extra
  } finally {
    await http.close();
  }
  return reasons;
}
