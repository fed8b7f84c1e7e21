/**
 * TTL checks of a real server on the real clock, over real sockets: hundreds of checks on the one
 * deadline timer (D190) expire when they are not renewed and stay passing while they are — the
 * fake-clock tests (ttl-deadlines.test.ts, checks.e2e.test.ts) pin the exact times; this one that
 * the real timer drives them. Bounds are generous (seconds of slack) so that a loaded machine
 * cannot fail it; it measures no timing.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { systemClock } from '@rosterjs/roster';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, testServer } from '../testing/test-server.test-helper.js';

afterEach(closeAll);

const CHECKS = 300;

describe('TTL checks on the real clock', () => {
  it('expire the ones not renewed and keep the renewed ones passing, hundreds at a time', async () => {
    const t = testServer({ clock: systemClock });
    const { url } = await t.server.listen();
    const put = async (path: string, body?: unknown) => {
      const res = await fetch(`${url}${path}`, { method: 'PUT', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      await res.arrayBuffer();
      expect(res.status, path).toBe(200);
    };
    const statuses = async () => {
      const res = await fetch(`${url}/v1/health/checks/ttl`);
      const checks = (await res.json()) as { CheckID: string; Status: string; Output: string }[];
      return new Map(checks.map((c) => [c.CheckID, c]));
    };
    for (let i = 0; i < CHECKS; i++) {
      await put('/v1/agent/service/register', { Name: 'ttl', ID: `i${i}`, Check: { CheckID: `c${i}`, TTL: '2s', Status: 'passing' } });
    }
    // Renew the even checks every 250 ms (1.75 s of slack before their 2 s TTL runs out).
    let renewing = true;
    const renewals = (async () => {
      while (renewing) {
        for (let i = 0; i < CHECKS; i += 2) await put(`/v1/agent/check/pass/c${i}?note=alive`);
        await delay(250);
      }
    })();
    try {
      await delay(3_500);
      const mid = await statuses();
      expect(mid.size).toBe(CHECKS);
      for (let i = 0; i < CHECKS; i++) {
        const c = mid.get(`c${i}`)!;
        if (i % 2 === 0) expect([c.CheckID, c.Status]).toEqual([`c${i}`, 'passing']);
        else expect([c.CheckID, c.Status, c.Output]).toEqual([`c${i}`, 'critical', 'TTL expired']);
      }
    } finally {
      renewing = false;
      await renewals;
    }
    // Not renewed any more: every one turns critical, with the last output it was given.
    await delay(3_500);
    const end = await statuses();
    for (let i = 0; i < CHECKS; i += 2) {
      expect([end.get(`c${i}`)!.Status, end.get(`c${i}`)!.Output]).toEqual([
        'critical',
        'TTL expired (last output before timeout follows): alive',
      ]);
    }
  }, 30_000);
});
