/** The live event log (register, deregister, health change) since the page opened, newest first, filterable by service. */
import { useMemo, useState } from 'preact/hooks';
import { timeOf } from '../format.js';
import { useModelVersion } from '../hooks.js';
import type { EventRow, RegistryModel } from '../model.js';
import { HealthBadge } from '../parts/health-badge.js';
import { VirtualList } from '../parts/virtual-list.js';
import type { RosterEvent } from '../wire.js';

function serviceOf(e: RosterEvent): string {
  return e.type === 'register' ? e.instance.service : e.service;
}

/** The view. */
export function EventsView({ model }: { model: RegistryModel }) {
  const version = useModelVersion(model);
  const [service, setService] = useState('');
  const all = model.events();
  const rows = useMemo(() => {
    const q = service.trim();
    const out = q === '' ? [...all] : all.filter((r) => serviceOf(r.event).includes(q));
    return out.reverse();
  }, [all, version, service]);
  return (
    <section class="events-view">
      <div class="toolbar">
        <input
          class="event-filter"
          type="search"
          placeholder="Filter by service"
          value={service}
          onInput={(e) => setService((e.currentTarget as HTMLInputElement).value)}
          aria-label="Filter events by service"
        />
        <span class="summary">
          {rows.length} events since this page opened (the last {all.length} kept)
        </span>
      </div>
      <div class="list-head event-cols">
        <span>Time</span>
        <span>Event</span>
        <span>Service</span>
        <span>Instance</span>
        <span>Detail</span>
      </div>
      <VirtualList
        items={rows}
        rowHeight={30}
        keyOf={(r) => r.seq}
        rowClass="event-row event-cols"
        render={(r) => <EventLine row={r} />}
        class="events-list"
      />
    </section>
  );
}

function EventLine({ row }: { row: EventRow }) {
  const e = row.event;
  return (
    <>
      <span class="time">{timeOf(e.at)}</span>
      <span class={`event-type ${e.type}`}>{e.type}</span>
      <span class="event-service">{serviceOf(e)}</span>
      <span class="event-instance">{e.type === 'register' ? e.instance.id : e.type === 'deregister' ? e.id : e.serviceId || '(node)'}</span>
      <span class="detail">
        {e.type === 'register' ? (
          <>
            {e.updated ? 'updated, ' : ''}
            <HealthBadge status={e.instance.health} />
          </>
        ) : e.type === 'deregister' ? (
          e.reason
        ) : (
          <>
            check {e.checkId}: {e.previous} → <HealthBadge status={e.status} />
          </>
        )}
      </span>
    </>
  );
}
