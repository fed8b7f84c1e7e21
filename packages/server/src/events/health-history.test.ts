/**
 * HealthHistory keeps a bounded timeline per instance, forgets a deregistered instance, and keeps
 * nothing for an instance registered passing that has not changed since (its "registered"
 * transition is made on read from the instance's createIndex and the shared time log).
 */
import { describe, expect, it } from 'vitest';
import { HISTORY_CHECKS, HISTORY_TIME_SAMPLES, HISTORY_TRANSITIONS, HealthHistory } from './health-history.js';
import type { RosterEvent } from './roster-event.js';

const instance = (health: 'passing' | 'warning' | 'critical', id = 'i1') => ({
  id,
  service: 's',
  address: '',
  port: 1,
  tags: [],
  meta: {},
  weight: 1,
  zone: '',
  health,
});
const health = (index: number, status: 'passing' | 'critical', checkId = 'c1', serviceId = 'i1'): RosterEvent => ({
  type: 'health',
  index,
  at: index * 10,
  checkId,
  serviceId,
  service: 's',
  status,
  previous: status === 'passing' ? 'critical' : 'passing',
  health: status,
});
const i1 = { id: 'i1', createIndex: 1 };

describe('HealthHistory', () => {
  it(`keeps the last ${HISTORY_TRANSITIONS} transitions, oldest first, skipping non-changes`, () => {
    const h = new HealthHistory();
    h.record({ type: 'register', index: 1, at: 10, instance: instance('passing'), updated: false });
    h.record({ type: 'register', index: 2, at: 20, instance: instance('passing'), updated: true });
    expect(h.transitionsOf(i1)).toEqual([{ at: 10, index: 1, health: 'passing', cause: 'register' }]);
    for (let i = 3; i < 30; i++) h.record(health(i, i % 2 === 0 ? 'passing' : 'critical'));
    const list = h.transitionsOf(i1);
    expect(list).toHaveLength(HISTORY_TRANSITIONS);
    expect(list.at(-1)).toEqual({ at: 290, index: 29, health: 'critical', cause: 'health', checkId: 'c1', status: 'critical' });
    expect(list[0]!.index).toBe(29 - HISTORY_TRANSITIONS + 1);
    expect(list.map((t) => t.index)).toEqual(Array.from({ length: HISTORY_TRANSITIONS }, (_, k) => 20 + k));
    expect(h.checkChangesOf('i1').get('c1')).toEqual({ at: 290, index: 29, status: 'critical', previous: 'passing' });
  });

  it('keeps no entry for an instance registered passing with no change since, and one once it changes', () => {
    const h = new HealthHistory();
    for (let i = 0; i < 1000; i++)
      h.record({ type: 'register', index: i + 1, at: 5000 + i, instance: instance('passing', `p${i}`), updated: false });
    expect(h.size).toBe(0);
    // Made on read: registered passing, the time from the shared log (to the second, never later).
    expect(h.transitionsOf({ id: 'p999', createIndex: 1000 })).toEqual([{ at: 5000, index: 1000, health: 'passing', cause: 'register' }]);
    h.record(health(1001, 'critical', 'c1', 'p3'));
    h.record(health(1002, 'passing', 'c1', 'p3'));
    expect(h.size).toBe(1);
    expect(h.transitionsOf({ id: 'p3', createIndex: 4 }).map((t) => `${t.cause}:${t.health}@${t.index}`)).toEqual([
      'register:passing@4',
      'health:critical@1001',
      'health:passing@1002',
    ]);
    // At the limit the made-up registration is the one dropped.
    for (let i = 0; i < HISTORY_TRANSITIONS - 2; i++) h.record(health(1003 + i, i % 2 === 0 ? 'critical' : 'passing', 'c1', 'p3'));
    const full = h.transitionsOf({ id: 'p3', createIndex: 4 });
    expect(full).toHaveLength(HISTORY_TRANSITIONS);
    expect(full[0]).toMatchObject({ cause: 'health', index: 1001 });
  });

  it('keeps a registration that is not passing, and a re-registration that changes the health', () => {
    const h = new HealthHistory();
    h.record({ type: 'register', index: 1, at: 10, instance: instance('critical'), updated: false });
    h.record({ type: 'register', index: 2, at: 20, instance: instance('passing', 'i2'), updated: false });
    h.record({ type: 'register', index: 3, at: 30, instance: instance('warning', 'i2'), updated: true });
    expect(h.transitionsOf(i1)).toEqual([{ at: 10, index: 1, health: 'critical', cause: 'register' }]);
    expect(h.transitionsOf({ id: 'i2', createIndex: 2 }).map((t) => `${t.cause}:${t.health}@${t.index}`)).toEqual([
      'register:passing@2',
      'register:warning@3',
    ]);
  });

  it('makes no registration up for an instance older than the server start', () => {
    const h = new HealthHistory(50);
    expect(h.transitionsOf({ id: 'old', createIndex: 40 })).toEqual([]);
    h.record(health(60, 'critical', 'c1', 'old'));
    expect(h.transitionsOf({ id: 'old', createIndex: 40 }).map((t) => t.cause)).toEqual(['health']);
    h.record({ type: 'register', index: 61, at: 610, instance: instance('passing', 'new'), updated: false });
    expect(h.transitionsOf({ id: 'new', createIndex: 61 })).toEqual([{ at: 600, index: 61, health: 'passing', cause: 'register' }]);
  });

  it(`keeps the time log bounded at ${HISTORY_TIME_SAMPLES} samples, spanning the whole uptime`, () => {
    const h = new HealthHistory();
    const n = HISTORY_TIME_SAMPLES * 3;
    for (let i = 1; i <= n; i++)
      h.record({ type: 'register', index: i, at: i * 1000, instance: instance('passing', `t${i}`), updated: false });
    // The first registration keeps its exact time; a late one gets a time at most a few samples earlier.
    expect(h.transitionsOf({ id: 't1', createIndex: 1 })[0]!.at).toBe(1000);
    const late = h.transitionsOf({ id: `t${n}`, createIndex: n })[0]!.at;
    expect(late).toBeLessThanOrEqual(n * 1000);
    expect(late).toBeGreaterThanOrEqual((n - 4) * 1000);
  });

  it(`keeps at most ${HISTORY_CHECKS} checks per instance and drops a deregistered instance`, () => {
    const h = new HealthHistory();
    for (let i = 0; i < HISTORY_CHECKS + 10; i++) h.record(health(i + 1, 'critical', `c${i}`));
    expect(h.checkChangesOf('i1').size).toBe(HISTORY_CHECKS);
    expect(h.checkChangesOf('i1').has('c0')).toBe(false);
    h.record({ type: 'deregister', index: 100, at: 1000, service: 's', id: 'i1', reason: 'deregistered' });
    expect(h.size).toBe(0);
    expect(h.transitionsOf({ id: 'i1', createIndex: 0 })).toEqual([]);
  });
});
