/**
 * Helpers for the balancer tests (not exported from the package): instance lists and a minimal
 * manual clock. Kept here rather than in testing/ so the balancer tests depend on nothing else.
 */
import type { Clock, TimerHandle } from '../clock.js';
import type { HealthStatus, Instance } from '../model.js';
import type { PickerInput } from './balancer.js';

/** An instance with defaults for everything not given. */
export function instance(id: string, fields: Partial<Omit<Instance, 'id'>> = {}): Instance {
  return {
    id,
    service: 'svc',
    address: '10.0.0.1',
    port: 8080,
    tags: [],
    meta: {},
    weight: 1,
    zone: '',
    health: 'passing' as HealthStatus,
    ...fields,
  };
}

/** `n` passing instances `i000`, `i001`, … (ids sort like their indexes). */
export function instances(n: number, fields: Partial<Omit<Instance, 'id'>> = {}): Instance[] {
  return Array.from({ length: n }, (_, i) => instance(`i${String(i).padStart(String(n).length, '0')}`, fields));
}

/** A clock that moves only when told to; timers fire in time order during `advance`. */
export class ManualClock implements Clock {
  #now: number;
  #timers: { at: number; seq: number; fn: () => void }[] = [];
  #seq = 0;

  constructor(start = 1_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn };
    this.#timers.push(timer);
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers = this.#timers.filter((t) => t !== handle);
  }

  /** Pending timers. */
  get pending(): number {
    return this.#timers.length;
  }

  /** Moves time forward by `ms`, firing due timers in order (also those they set). */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      const due = this.#timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.#timers = this.#timers.filter((t) => t !== due);
      this.#now = due.at;
      due.fn();
    }
    this.#now = end;
  }
}

/** How often each instance id was picked in `picks` picks. */
export function histogram(pick: () => Instance | undefined, picks: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let k = 0; k < picks; k++) {
    const id = pick()?.id ?? '(none)';
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** Pearson's chi-square statistic of observed counts against expected probabilities. */
export function chiSquare(counts: Map<string, number>, expected: Map<string, number>, picks: number): number {
  let chi = 0;
  for (const [id, p] of expected) {
    const e = p * picks;
    const o = counts.get(id) ?? 0;
    chi += ((o - e) * (o - e)) / e;
  }
  return chi;
}

/** The 99.9 % quantile of the chi-square distribution with `df` degrees of freedom (Wilson–Hilferty). */
export function chiSquareLimit(df: number): number {
  const z = 3.09;
  const a = 2 / (9 * df);
  return df * (1 - a + z * Math.sqrt(a)) ** 3;
}

/** A picker input for strategy tests: weights from the instances, fresh loads, a manual clock. */
export function inputOf(list: readonly Instance[], overrides: Partial<PickerInput> = {}): PickerInput {
  const clock = overrides.clock ?? new ManualClock();
  return {
    instances: list,
    weights: list.map((i) => i.weight),
    loads: list.map(() => ({ inflight: 0, latencyMs: Number.NaN, latencyAt: clock.now() })),
    pool: { inflight: 0, observedAt: clock.now() },
    all: list,
    clock,
    ...overrides,
  };
}
