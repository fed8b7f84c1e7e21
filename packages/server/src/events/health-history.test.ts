/** HealthHistory keeps a bounded timeline per instance and forgets a deregistered instance. */
import { describe, expect, it } from 'vitest';
import { HISTORY_CHECKS, HISTORY_TRANSITIONS, HealthHistory } from './health-history.js';
import type { RosterEvent } from './roster-event.js';

const instance = (health: 'passing' | 'critical') => ({
  id: 'i1',
  service: 's',
  address: '',
  port: 1,
  tags: [],
  meta: {},
  weight: 1,
  zone: '',
  health,
});
const health = (index: number, status: 'passing' | 'critical', checkId = 'c1'): RosterEvent => ({
  type: 'health',
  index,
  at: index * 10,
  checkId,
  serviceId: 'i1',
  service: 's',
  status,
  previous: status === 'passing' ? 'critical' : 'passing',
  health: status,
});

describe('HealthHistory', () => {
  it(`keeps the last ${HISTORY_TRANSITIONS} transitions, oldest first, skipping non-changes`, () => {
    const h = new HealthHistory();
    h.record({ type: 'register', index: 1, at: 10, instance: instance('passing'), updated: false });
    h.record({ type: 'register', index: 2, at: 20, instance: instance('passing'), updated: true });
    expect(h.transitionsOf('i1')).toHaveLength(1);
    for (let i = 3; i < 30; i++) h.record(health(i, i % 2 === 0 ? 'passing' : 'critical'));
    const list = h.transitionsOf('i1');
    expect(list).toHaveLength(HISTORY_TRANSITIONS);
    expect(list.at(-1)).toMatchObject({ index: 29, health: 'critical', cause: 'health', checkId: 'c1' });
    expect(list[0]!.index).toBe(29 - HISTORY_TRANSITIONS + 1);
    expect(h.checkChangesOf('i1').get('c1')).toEqual({ at: 290, index: 29, status: 'critical', previous: 'passing' });
  });

  it(`keeps at most ${HISTORY_CHECKS} checks per instance and drops a deregistered instance`, () => {
    const h = new HealthHistory();
    for (let i = 0; i < HISTORY_CHECKS + 10; i++) h.record(health(i + 1, 'critical', `c${i}`));
    expect(h.checkChangesOf('i1').size).toBe(HISTORY_CHECKS);
    expect(h.checkChangesOf('i1').has('c0')).toBe(false);
    h.record({ type: 'deregister', index: 100, at: 1000, service: 's', id: 'i1', reason: 'deregistered' });
    expect(h.size).toBe(0);
    expect(h.transitionsOf('i1')).toEqual([]);
  });
});
