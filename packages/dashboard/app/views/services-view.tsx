/**
 * Every service with its instance counts by health and its tags, worst first; a text search
 * (name or tag) and filters by health and tag. Live: re-renders at most once per frame, and
 * only the visible rows.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { useModelVersion } from '../hooks.js';
import type { RegistryModel, ServiceRow } from '../model.js';
import { HealthBadge } from '../parts/health-badge.js';
import { VirtualList } from '../parts/virtual-list.js';
import { navigate } from '../router.js';
import type { HealthStatus } from '../wire.js';

type HealthFilter = 'any' | HealthStatus;

/** The rows that pass the search and filters. */
export function filterServices(rows: readonly ServiceRow[], search: string, health: HealthFilter, tag: string): readonly ServiceRow[] {
  const q = search.trim().toLowerCase();
  if (q === '' && health === 'any' && tag === '') return rows;
  return rows.filter(
    (r) =>
      (q === '' || r.name.toLowerCase().includes(q) || r.tags.some((t) => t.toLowerCase().includes(q))) &&
      (health === 'any' || r[health] > 0) &&
      (tag === '' || r.tags.includes(tag)),
  );
}

/** Name of the performance mark set when the services view first showed the loaded registry (benchmarks read it). */
export const FIRST_RENDER_MARK = 'roster:services-rendered';

function markFirstRender(loaded: boolean): void {
  if (loaded && performance.getEntriesByName(FIRST_RENDER_MARK).length === 0) performance.mark(FIRST_RENDER_MARK);
}

/** The view. */
export function ServicesView({ model }: { model: RegistryModel }) {
  const version = useModelVersion(model);
  const [search, setSearch] = useState('');
  const [health, setHealth] = useState<HealthFilter>('any');
  const [tag, setTag] = useState('');
  const all = model.services();
  const rows = useMemo(() => filterServices(all, search, health, tag), [all, search, health, tag]);
  const tags = useMemo(() => [...new Set(all.flatMap((r) => r.tags))].sort(), [all]);
  useEffect(() => markFirstRender(model.loaded), [model.loaded]);
  const totals = useMemo(
    () =>
      all.reduce((t, r) => ({ passing: t.passing + r.passing, warning: t.warning + r.warning, critical: t.critical + r.critical }), {
        passing: 0,
        warning: 0,
        critical: 0,
      }),
    [all],
  );
  return (
    <section class="services-view" data-version={version}>
      <div class="toolbar">
        <input
          class="search"
          type="search"
          placeholder="Search services and tags"
          value={search}
          onInput={(e) => setSearch((e.currentTarget as HTMLInputElement).value)}
          aria-label="Search services and tags"
        />
        <label>
          Health{' '}
          <select
            class="health-filter"
            value={health}
            onChange={(e) => setHealth((e.currentTarget as HTMLSelectElement).value as HealthFilter)}
          >
            <option value="any">any</option>
            <option value="critical">has critical</option>
            <option value="warning">has warning</option>
            <option value="passing">has passing</option>
          </select>
        </label>
        <label>
          Tag{' '}
          <select class="tag-filter" value={tag} onChange={(e) => setTag((e.currentTarget as HTMLSelectElement).value)}>
            <option value="">any</option>
            {tags.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <span class="summary">
          <span class="shown-count">{rows.length}</span> of {all.length} services · <HealthBadge status="passing" count={totals.passing} />{' '}
          <HealthBadge status="warning" count={totals.warning} /> <HealthBadge status="critical" count={totals.critical} />
          {model.filtered ? <span class="note"> · filtered by your token's ACL</span> : null}
        </span>
      </div>
      <div class="list-head service-cols">
        <span>Service</span>
        <span>Instances</span>
        <span>Health</span>
        <span>Tags</span>
      </div>
      {model.loaded && rows.length === 0 ? (
        <p class="empty">{all.length === 0 ? 'No services your token may read.' : 'No service matches.'}</p>
      ) : null}
      <VirtualList
        items={rows}
        rowHeight={40}
        keyOf={(r) => r.name}
        rowClass="service-row service-cols"
        render={(r) => <ServiceLine row={r} />}
        class="services-list"
      />
    </section>
  );
}

function ServiceLine({ row }: { row: ServiceRow }) {
  return (
    <>
      <button class="link service-name" onClick={() => navigate({ view: 'service', name: row.name })} title={row.name}>
        {row.name}
      </button>
      <span class="count">{row.total}</span>
      <span class="healths">
        {row.critical > 0 ? <HealthBadge status="critical" count={row.critical} /> : null}
        {row.warning > 0 ? <HealthBadge status="warning" count={row.warning} /> : null}
        {row.passing > 0 ? <HealthBadge status="passing" count={row.passing} /> : null}
      </span>
      <span class="tags">
        {row.tags.slice(0, 8).map((t) => (
          <span key={t} class="tag">
            {t}
          </span>
        ))}
        {row.tags.length > 8 ? <span class="more">+{row.tags.length - 8}</span> : null}
      </span>
    </>
  );
}
