/**
 * Prometheus metrics of roster serve (prom-client, one registry per server so several servers
 * in one process do not collide). Served at `/v1/agent/metrics?format=prometheus`.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Catalog } from '../catalog/catalog.js';
import { RateMeter } from './rate-meter.js';
import { RequestHistogram } from './request-histogram.js';

/** Routes that renew or set a TTL check (counted by {@link Metrics.ttlRenewals}). */
const TTL_ROUTES = new Set(['agent/check/pass', 'agent/check/warn', 'agent/check/fail', 'agent/check/update']);

/** The server's metrics. */
export class Metrics {
  readonly registry = new Registry();
  readonly #checkRuns: Counter<'type' | 'status'>;
  readonly #checkFailures: Counter<'type'>;
  readonly #blockingHeld: Gauge;
  /** By route, method and status (bounded: routes × methods × statuses). */
  readonly #requests: RequestHistogram;
  readonly #commit: Histogram;
  readonly #commitOps: Histogram;
  /** Accepted TTL updates (pass/warn/fail/update) per second, for the dashboard's registry view. */
  readonly ttlRenewals: RateMeter;

  /**
   * @param catalog read at scrape time for the instance counts.
   * @param now the clock (ms) of the TTL renewal rate.
   */
  constructor(catalog: () => Catalog, now: () => number = Date.now) {
    this.ttlRenewals = new RateMeter(now);
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'roster_instances',
      help: 'Registered service instances by service and aggregated health',
      labelNames: ['service', 'health'],
      registers,
      collect() {
        this.reset();
        const c = catalog();
        const counts = new Map<string, number>();
        for (const s of c.instances()) {
          const key = `${s.name}\u0000${c.healthOf(s.id)}`;
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
        for (const [key, n] of counts) {
          const [service, health] = key.split('\u0000') as [string, string];
          this.set({ service, health }, n);
        }
      },
    });
    this.#checkRuns = new Counter({
      name: 'roster_check_runs_total',
      help: 'HTTP/TCP check runs by type and resulting status',
      labelNames: ['type', 'status'],
      registers,
    });
    this.#checkFailures = new Counter({
      name: 'roster_check_failures_total',
      help: 'HTTP/TCP check runs whose resulting status was critical',
      labelNames: ['type'],
      registers,
    });
    this.#blockingHeld = new Gauge({ name: 'roster_blocking_queries_held', help: 'Blocking queries currently held', registers });
    this.#requests = new RequestHistogram({
      name: 'roster_http_request_duration_seconds',
      help: 'HTTP request latency by route (held blocking queries included)',
      labelNames: ['route', 'method', 'status'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 120, 660],
      registers,
    });
    this.#commit = new Histogram({
      name: 'roster_store_commit_duration_seconds',
      help: 'Duration of one store transaction (group commit); with --sync full the WAL sync that follows runs off the event loop and is not included',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1],
      registers,
    });
    this.#commitOps = new Histogram({
      name: 'roster_store_commit_operations',
      help: 'Operations per store transaction (group commit size)',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 1024],
      registers,
    });
  }

  /** One check run with its resulting status. */
  checkRun(type: 'http' | 'tcp', status: string): void {
    this.#checkRuns.inc({ type, status });
    if (status === 'critical') this.#checkFailures.inc({ type });
  }

  /** A blocking query was held (+1) or answered (-1). */
  blocking(delta: number): void {
    this.#blockingHeld.inc(delta);
  }

  /** One answered request. */
  request(route: string, method: string, status: number, seconds: number): void {
    this.#requests.observe(`${route} ${method} ${status}`, () => [route, method, String(status)], seconds);
    if (status === 200 && TTL_ROUTES.has(route)) this.ttlRenewals.mark();
  }

  /** One store commit. */
  commit(seconds: number, operations: number): void {
    this.#commit.observe(seconds);
    this.#commitOps.observe(operations);
  }

  /** The exposition text and its content type. */
  async expose(): Promise<{ text: string; contentType: string }> {
    return { text: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
