/**
 * A Prometheus histogram of request durations whose observation is a bucket search and three
 * additions (D167): prom-client's `Histogram.observe` converts, validates and hashes the labels
 * on every call (a few µs — per request, and per woken blocking query when a change wakes
 * thousands at once). Registered in a prom-client Registry as a custom metric, it exposes the same
 * series prom-client's histogram would (`_bucket` with `le`, cumulative, `+Inf`, `_sum`, `_count`).
 */
import type { Registry } from 'prom-client';

/** One label set's counts. */
interface Series {
  readonly labels: Readonly<Record<string, string>>;
  /** Per upper bound (not cumulative); the last slot counts values above every bound. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/** What prom-client's registry reads from a metric. */
interface MetricValue {
  labels: Record<string, string | number>;
  sharedLabels?: Record<string, string>;
  value: number;
  metricName: string;
  /** prom-client's bucket values carry `exemplar: null` (none recorded). */
  exemplar?: null;
}

/** A histogram with a fixed label list, observed through pre-resolved series. */
export class RequestHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #bounds: readonly number[];
  readonly #labelNames: readonly string[];
  readonly #series = new Map<string, Series>();

  constructor(options: {
    name: string;
    help: string;
    labelNames: readonly string[];
    buckets: readonly number[];
    registers: readonly Registry[];
  }) {
    this.name = options.name;
    this.help = options.help;
    this.#labelNames = options.labelNames;
    this.#bounds = [...options.buckets].sort((a, b) => a - b);
    for (const r of options.registers) r.registerMetric(this as never);
  }

  /**
   * Adds `value` to the series of `key` (any string naming the label values, e.g. joined), whose
   * labels are `values()` (in labelNames order; called once, when the series is new).
   */
  observe(key: string, values: () => readonly string[], value: number): void {
    let s = this.#series.get(key);
    if (!s) {
      const vs = values();
      const labels: Record<string, string> = {};
      this.#labelNames.forEach((n, i) => (labels[n] = vs[i] ?? ''));
      s = { labels, counts: new Float64Array(this.#bounds.length + 1), sum: 0, count: 0 };
      this.#series.set(key, s);
    }
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    s.counts[i]!++;
    s.sum += value;
    s.count++;
  }

  /** The series as prom-client's exposition reads them (labels of the series as shared labels). */
  getForPromString(): { name: string; help: string; type: string; aggregator: string; values: MetricValue[] } {
    const values: MetricValue[] = [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.#series.values()) {
      let acc = 0;
      this.#bounds.forEach((le, i) => {
        acc += s.counts[i]!;
        values.push({ labels: { le }, sharedLabels: s.labels, value: acc, metricName: bucket, exemplar: null });
      });
      values.push({ labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.count, metricName: bucket, exemplar: null });
      values.push({ labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** The same with each series' labels merged into its values' labels (prom-client's JSON form). */
  get(): { name: string; help: string; type: string; aggregator: string; values: MetricValue[] } {
    const data = this.getForPromString();
    data.values = data.values.map(({ labels, sharedLabels, ...rest }) => ({ ...rest, labels: { ...sharedLabels, ...labels } }));
    return data;
  }

  /** Forgets every series (prom-client's `resetMetrics`). */
  reset(): void {
    this.#series.clear();
  }
}
