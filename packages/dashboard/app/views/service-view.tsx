/**
 * One service: its instances (id, address:port, tags, meta, weight, zone, health), each check
 * with status, output and when it last changed, a small health timeline per instance (the
 * transitions the server saw since it started), and the actions a write token may take
 * (maintenance on/off; deregister a critical instance), each after a confirmation. Live through
 * a blocking query on `/v1/health/service/<name>`.
 */
import { useEffect, useState } from 'preact/hooks';
import { type Api, ApiError, segment } from '../api.js';
import { ago, hostPort, timeOf } from '../format.js';
import { maintenanceCheckId, worst } from '../health.js';
import { Confirm } from '../parts/confirm.js';
import { HealthBadge } from '../parts/health-badge.js';
import { navigate } from '../router.js';
import type { AgentCheck, HealthEntry, HealthStatus, ServiceHistory } from '../wire.js';

const PAGE = 25;

interface Loaded {
  readonly entries: readonly HealthEntry[];
  readonly history: ServiceHistory | undefined;
}

/** An action waiting for confirmation. */
interface Pending {
  readonly kind: 'maintenance-on' | 'maintenance-off' | 'deregister';
  readonly id: string;
}

/** Loads the service and keeps it current (blocking queries); `error` says why it could not. */
function useService(api: Api, name: string): { data: Loaded | undefined; error: string | undefined; reload: () => void } {
  const [data, setData] = useState<Loaded | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [nonce, setNonce] = useState(0);
  useEffect(() => {
    let stopped = false;
    const abort = new AbortController();
    setData(undefined);
    const loop = async () => {
      let index = 0;
      let failures = 0;
      while (!stopped) {
        try {
          const path = `/v1/health/service/${segment(name)}${index > 0 ? `?index=${index}&wait=30s` : ''}`;
          const answer = await api.get<HealthEntry[]>(path, abort.signal);
          const history = await api.get<ServiceHistory>(`/v1/roster/history/${segment(name)}`, abort.signal).then(
            (a) => a.body,
            () => undefined,
          );
          if (stopped) return;
          // The index went backwards (a restarted server with a new store): start over.
          index = answer.index < index ? 0 : answer.index;
          failures = 0;
          setData({ entries: answer.body, history });
          setError(undefined);
        } catch (e) {
          if (stopped) return;
          failures++;
          index = 0;
          setError(e instanceof ApiError ? `${e.status}: ${e.message}` : 'reconnecting…');
          await new Promise((r) => setTimeout(r, Math.min(3000, 250 * 2 ** Math.min(failures, 4))));
        }
      }
    };
    void loop();
    return () => {
      stopped = true;
      abort.abort();
    };
  }, [api, name, nonce]);
  return { data, error, reload: () => setNonce((n) => n + 1) };
}

/** The view. */
export function ServiceView({ api, name }: { api: Api; name: string }) {
  const { data, error } = useService(api, name);
  const [page, setPage] = useState(0);
  const [pending, setPending] = useState<Pending | undefined>(undefined);
  const [actionError, setActionError] = useState<string | undefined>(undefined);
  const [actionDone, setActionDone] = useState<string | undefined>(undefined);
  const entries = data?.entries ?? [];
  const mayWrite = data?.history?.mayWrite ?? false;
  const pages = Math.max(1, Math.ceil(entries.length / PAGE));
  const shown = entries.slice(page * PAGE, page * PAGE + PAGE);
  const counts = { passing: 0, warning: 0, critical: 0 };
  for (const e of entries) counts[healthOf(e)]++;

  const run = async (p: Pending) => {
    setPending(undefined);
    setActionError(undefined);
    setActionDone(undefined);
    const id = segment(p.id);
    try {
      if (p.kind === 'deregister') await api.put(`/v1/agent/service/deregister/${id}`);
      else
        await api.put(
          `/v1/agent/service/maintenance/${id}?enable=${p.kind === 'maintenance-on'}&reason=${encodeURIComponent('set from the roster dashboard')}`,
        );
      setActionDone(`${describe(p)}: done`);
    } catch (e) {
      setActionError(e instanceof ApiError ? `${describe(p)} refused: ${e.status} ${e.message}` : `${describe(p)} failed: ${String(e)}`);
    }
  };

  return (
    <section class="service-view">
      <div class="toolbar">
        <button class="link back" onClick={() => navigate({ view: 'services' })}>
          ← Services
        </button>
        <h2 class="service-title">{name}</h2>
        <span class="summary">
          {entries.length} instances · <HealthBadge status="passing" count={counts.passing} />{' '}
          <HealthBadge status="warning" count={counts.warning} /> <HealthBadge status="critical" count={counts.critical} />
        </span>
        {mayWrite ? null : <span class="note read-only">read-only: actions need a token that may write this service</span>}
      </div>
      {error === undefined ? null : <p class="stream-error">{error}</p>}
      {actionError === undefined ? null : (
        <p class="action-error" role="alert">
          {actionError}
        </p>
      )}
      {actionDone === undefined ? null : <p class="action-done">{actionDone}</p>}
      {data !== undefined && entries.length === 0 ? <p class="empty">No instances (or none your token may read).</p> : null}
      <div class="instances">
        {shown.map((e) => (
          <InstanceCard key={e.Service.ID} entry={e} history={data?.history} mayWrite={mayWrite} onAction={setPending} />
        ))}
      </div>
      {pages > 1 ? (
        <div class="pager">
          <button disabled={page === 0} onClick={() => setPage(page - 1)}>
            Previous
          </button>
          <span>
            page {page + 1} of {pages}
          </span>
          <button disabled={page >= pages - 1} onClick={() => setPage(page + 1)}>
            Next
          </button>
        </div>
      ) : null}
      {pending === undefined ? null : (
        <Confirm onConfirm={() => void run(pending)} onCancel={() => setPending(undefined)}>
          {describe(pending)}?
        </Confirm>
      )}
    </section>
  );
}

function describe(p: Pending): string {
  const what =
    p.kind === 'maintenance-on'
      ? 'Put instance into maintenance'
      : p.kind === 'maintenance-off'
        ? 'Take instance out of maintenance'
        : 'Deregister instance';
  return `${what} ${JSON.stringify(p.id)}`;
}

function healthOf(e: HealthEntry): HealthStatus {
  return worst(e.Checks.map((c) => c.Status));
}

function InstanceCard({
  entry,
  history,
  mayWrite,
  onAction,
}: {
  entry: HealthEntry;
  history: ServiceHistory | undefined;
  mayWrite: boolean;
  onAction: (p: Pending) => void;
}) {
  const s = entry.Service;
  const health = healthOf(entry);
  const maintenance = entry.Checks.some((c) => c.CheckID === maintenanceCheckId(s.ID));
  const own = history?.instances[s.ID];
  const meta = Object.entries(s.Meta ?? {});
  const why = mayWrite ? undefined : 'needs a token with write access to this service';
  return (
    <article class={`instance ${health}`} data-health={health}>
      <header class="instance-head">
        <HealthBadge status={health} />
        <span class="instance-id">{s.ID}</span>
        <span class="address">{hostPort(s.Address === '' ? entry.Node.Address : s.Address, s.Port)}</span>
        {maintenance ? <span class="maintenance-flag">in maintenance</span> : null}
        <span class="actions">
          <button
            class={maintenance ? 'maintenance-off' : 'maintenance-on'}
            disabled={!mayWrite}
            title={why}
            onClick={() => onAction({ kind: maintenance ? 'maintenance-off' : 'maintenance-on', id: s.ID })}
          >
            {maintenance ? 'Maintenance off' : 'Maintenance on'}
          </button>
          {health === 'critical' ? (
            <button class="deregister" disabled={!mayWrite} title={why} onClick={() => onAction({ kind: 'deregister', id: s.ID })}>
              Deregister
            </button>
          ) : null}
        </span>
      </header>
      <dl class="fields">
        <dt>Tags</dt>
        <dd class="instance-tags">
          {(s.Tags ?? []).length === 0
            ? '—'
            : (s.Tags ?? []).map((t, i) => (
                <span key={i} class="tag">
                  {t}
                </span>
              ))}
        </dd>
        <dt>Meta</dt>
        <dd class="instance-meta">
          {meta.length === 0
            ? '—'
            : meta.map(([k, v]) => (
                <span key={k} class="meta">
                  <span class="meta-key">{k}</span>=<span class="meta-value">{v}</span>
                </span>
              ))}
        </dd>
        <dt>Weight</dt>
        <dd>{s.Weights?.Passing ?? 1}</dd>
        <dt>Zone</dt>
        <dd>{s.Meta?.zone ?? '—'}</dd>
        <dt>Timeline</dt>
        <dd class="timeline">
          {own === undefined || own.transitions.length === 0
            ? 'no transitions since the server started'
            : own.transitions.map((t) => (
                <span
                  key={t.index}
                  class={`tick ${t.health}`}
                  title={`${timeOf(t.at)} ${t.health}${t.cause === 'register' ? ' (registered)' : ` (check ${t.checkId ?? ''} ${t.status ?? ''})`}`}
                >
                  {t.health[0]}
                </span>
              ))}
        </dd>
      </dl>
      <table class="checks">
        <thead>
          <tr>
            <th>Check</th>
            <th>Status</th>
            <th>Output</th>
            <th>Last changed</th>
          </tr>
        </thead>
        <tbody>
          {entry.Checks.map((c) => (
            <CheckLine key={c.CheckID} check={c} history={history} instanceId={s.ID} />
          ))}
        </tbody>
      </table>
    </article>
  );
}

function CheckLine({ check, history, instanceId }: { check: AgentCheck; history: ServiceHistory | undefined; instanceId: string }) {
  const changes = check.ServiceID === '' ? history?.nodeChecks : history?.instances[instanceId]?.checks;
  const change = changes?.[check.CheckID];
  return (
    <tr class="check">
      <td class="check-name">{check.Name || check.CheckID}</td>
      <td>
        <HealthBadge status={check.Status} />
      </td>
      <td>
        <pre class="check-output">{check.Output || check.Notes || ''}</pre>
      </td>
      <td class="changed">
        {change === undefined
          ? 'not since the server started'
          : `${change.previous} → ${change.status}, ${ago(change.at)} (${timeOf(change.at)})`}
      </td>
    </tr>
  );
}
