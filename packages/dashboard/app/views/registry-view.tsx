/** The registry itself (`GET /v1/roster/status`, refreshed every second while shown). */
import { useEffect, useState } from 'preact/hooks';
import { type Api, ApiError } from '../api.js';
import { bytes, duration } from '../format.js';
import type { RegistryStatus } from '../wire.js';

/** The view. */
export function RegistryView({ api }: { api: Api }) {
  const [status, setStatus] = useState<RegistryStatus | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    let stopped = false;
    const load = async () => {
      try {
        const answer = await api.get<RegistryStatus>('/v1/roster/status');
        if (stopped) return;
        setStatus(answer.body);
        setError(undefined);
      } catch (e) {
        if (!stopped) setError(e instanceof ApiError ? `${e.status}: ${e.message}` : 'the server does not answer (reconnecting…)');
      }
    };
    void load();
    const timer = setInterval(() => void load(), 1000);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [api]);
  const rows: [string, string][] =
    status === undefined
      ? []
      : [
          ['Index', String(status.index)],
          ['Uptime', `${duration(status.uptimeSeconds)} (since ${status.startedAt})`],
          ['Instances', String(status.instances)],
          ['Services', String(status.services)],
          ['Held blocking queries', String(status.heldQueries)],
          ['Watchers (event streams and watch streams)', String(status.watchers)],
          ['Services watched on watch streams', String(status.watches)],
          ['TTL renewals per second', status.ttlRenewalsPerSecond.toFixed(1)],
          ['Data dir', `${bytes(status.dataDirBytes)} in ${status.dataDir}`],
          ['Version', status.version],
          ['Bind address', status.bind],
          ['Node / datacenter', `${status.node} / ${status.datacenter}`],
          ['ACLs', status.acl === 'off' ? 'off' : `on, default policy ${status.acl}`],
        ];
  return (
    <section class="registry-view">
      {error === undefined ? null : <p class="stream-error">{error}</p>}
      <table class="status">
        <tbody>
          {rows.map(([k, v]) => (
            <tr key={k}>
              <th>{k}</th>
              <td>{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
