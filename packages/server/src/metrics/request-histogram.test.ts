/** The fast request histogram exposes exactly what prom-client's Histogram would (D167). */
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { RequestHistogram } from './request-histogram.js';

const options = {
  name: 'roster_test_duration_seconds',
  help: 'test durations',
  labelNames: ['route', 'method', 'status'],
  buckets: [0.001, 0.01, 0.1, 1],
};

describe('RequestHistogram', () => {
  it('gives the same exposition text and JSON as prom-client for the same observations', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const fast = new RequestHistogram({ ...options, registers: [ours] });
    const reference = new Histogram({ ...options, registers: [theirs] });
    const observations: [string, string, number, number][] = [
      ['health/service', 'GET', 200, 0.0004],
      ['health/service', 'GET', 200, 0.001],
      ['health/service', 'GET', 200, 0.05],
      ['health/service', 'GET', 200, 30],
      ['agent/service/register', 'PUT', 400, 0.002],
      ['health/service', 'GET', 404, 1],
    ];
    for (const [route, method, status, seconds] of observations) {
      fast.observe(`${route} ${method} ${status}`, () => [route, method, String(status)], seconds);
      reference.labels(route, method, String(status)).observe(seconds);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
    ours.resetMetrics();
    theirs.resetMetrics();
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });
});
