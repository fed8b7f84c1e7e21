/**
 * The server's event stream isolates its listeners: a throwing in-process subscriber is reported
 * and leaves the other subscribers, the commit and the server's state untouched.
 */
import diagnostics from 'node:diagnostics_channel';
import { CHANNELS } from '@rosterjs/roster';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, testServer } from '../testing/test-server.test-helper.js';
import { EventStream } from './event-stream.js';
import type { RosterEvent } from './roster-event.js';

afterEach(closeAll);

const event = (id: string): RosterEvent =>
  ({ type: 'deregister', at: 0, index: 1, service: 'web', instanceId: id, reason: 'deregistered' }) as unknown as RosterEvent;

describe('EventStream', () => {
  it('a throwing listener is reported to onListenerError and on the channel; the others get every event', () => {
    const reported: unknown[] = [];
    const onReport = (m: unknown) => reported.push(m);
    diagnostics.subscribe(CHANNELS.listenerError, onReport);
    try {
      const logged: unknown[] = [];
      const stream = new EventStream((e) => logged.push(e));
      const bug = new Error('subscriber bug');
      stream.subscribe(() => {
        throw bug;
      });
      const seen: RosterEvent[] = [];
      const off = stream.subscribe((e) => seen.push(e));
      expect(() => stream.publish(event('a'))).not.toThrow();
      stream.publish(event('b'));
      expect(seen).toHaveLength(2);
      expect(logged).toEqual([bug, bug]);
      expect(reported).toEqual([
        { event: 'server:events', error: bug },
        { event: 'server:events', error: bug },
      ]);
      expect(stream.size).toBe(2);
      off();
      expect(stream.size).toBe(1);
    } finally {
      diagnostics.unsubscribe(CHANNELS.listenerError, onReport);
    }
  });

  it('in roster serve: a throwing subscriber does not fail the write or starve later subscribers', async () => {
    const t = testServer();
    t.server.subscribe(() => {
      throw new Error('subscriber bug');
    });
    const seen: string[] = [];
    t.server.subscribe((e) => seen.push(e.type));
    const put = await t.req('PUT', '/v1/agent/service/register', { Name: 'web', ID: 'w1', Port: 80 });
    expect(put.statusCode).toBe(200);
    const del = await t.req('PUT', '/v1/agent/service/deregister/w1');
    expect(del.statusCode).toBe(200);
    expect(seen).toEqual(['register', 'deregister']);
    expect(await t.get('/v1/agent/services')).toEqual({});
  });
});
