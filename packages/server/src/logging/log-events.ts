/**
 * One info line per registration, deregistration and health change, from the server's event
 * stream. The lines carry names, addresses and statuses — never a token or check headers.
 */
import type { Logger } from 'pino';
import type { EventStream } from '../events/event-stream.js';
import type { RosterEvent } from '../events/roster-event.js';

/** The message and fields logged for `event`. */
export function describeEvent(event: RosterEvent): { msg: string; fields: Record<string, unknown> } {
  switch (event.type) {
    case 'register': {
      const i = event.instance;
      const host = i.address.includes(':') ? `[${i.address}]` : i.address;
      return {
        msg: `${event.updated ? 'updated' : 'registered'} ${i.service}/${i.id} at ${host}:${i.port}`,
        fields: { event: 'register', service: i.service, id: i.id, address: i.address, port: i.port, index: event.index },
      };
    }
    case 'deregister':
      return {
        msg: `deregistered ${event.service}/${event.id} (${event.reason})`,
        fields: { event: 'deregister', service: event.service, id: event.id, reason: event.reason, index: event.index },
      };
    case 'health': {
      const who = event.serviceId === '' ? `node check ${event.checkId}` : `${event.service}/${event.serviceId}`;
      return {
        msg: `${who} ${event.previous} → ${event.status} (check ${event.checkId})`,
        fields: {
          event: 'health',
          service: event.service,
          id: event.serviceId,
          check: event.checkId,
          status: event.status,
          previous: event.previous,
          health: event.health,
          index: event.index,
        },
      };
    }
  }
}

/** Logs every event of `events` at info level; returns the function that stops it. */
export function logEvents(events: EventStream, logger: Logger): () => void {
  return events.subscribe((event) => {
    if (!logger.isLevelEnabled('info')) return;
    const { msg, fields } = describeEvent(event);
    logger.info(fields, msg);
  });
}
