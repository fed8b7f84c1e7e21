/**
 * Runs one HTTP or TCP check on a schedule: probe, apply thresholds, report. One runner per
 * check; the server starts one when a check is registered and stops it when it is removed.
 */
import { type Clock, MAX_TIMER_MS, systemClock, type TimerHandle } from '../clock.js';
import { describe } from '../internal/options.js';
import { ClosedError, InvalidArgumentError } from '../errors.js';
import { type HealthStatus, isHealthStatus, type NormalizedCheck } from '../model.js';
import { httpProbe } from './http-probe.js';
import { abortText, errorText, type Probe, type ProbeResult, probeTimeout } from './probe.js';
import { tcpProbe } from './tcp-probe.js';
import { Thresholds } from './thresholds.js';
import { safeString } from '../internal/safe-string.js';

/** The first probe runs after a random delay below `min(interval, FIRST_RUN_SPREAD_MS)`. */
export const FIRST_RUN_SPREAD_MS = 1000;

/**
 * How long the runner waits for a probe to settle after aborting it; then it gives up on that
 * probe, reports `critical` and goes on (a probe that ignores its signal must not freeze a check).
 */
export const PROBE_ABANDON_MS = 1000;

/** The outcome of one probe after thresholds, as delivered to `onUpdate`. */
export interface CheckUpdate {
  /** The effective status after this result (thresholds applied). */
  readonly status: HealthStatus;
  /** The probe's output for this run (also when thresholds kept the previous status). */
  readonly output: string;
  /** True when `status` differs from the effective status before this run. */
  readonly changed: boolean;
}

/** A check with a probe of its own (TTL checks are not run; see `startTtlTimer`). */
export type ActiveCheck = Extract<NormalizedCheck, { kind: 'http' | 'tcp' }>;

/** Options of {@link startCheck}. */
export interface CheckRunnerOptions {
  /** The check: interval, timeout, thresholds, and (unless `probe` is given) what to probe. */
  readonly check: ActiveCheck;
  /** Time source for the schedule and the timeout; default the system clock. */
  readonly clock?: Clock;
  /** Random numbers in [0, 1) for the first delay; default `Math.random`. */
  readonly random?: () => number;
  /** The probe to run; default an {@link httpProbe} or {@link tcpProbe} built from `check`. */
  readonly probe?: Probe;
  /** Effective status before the first result; default `check.status` (a new check: critical). */
  readonly initialStatus?: HealthStatus;
  /**
   * Receives every result, changed or not, in order, never two at once and never after `stop()`.
   * Called synchronously from the runner; it must not throw: an exception is a bug in the
   * caller and is rethrown asynchronously (an uncaught exception), the runner keeps going.
   */
  onUpdate(update: CheckUpdate): void;
}

/** A running check. */
export interface CheckRunner {
  /** The effective status now. */
  readonly status: HealthStatus;
  /**
   * Stops the schedule and aborts the probe in flight. Idempotent. No `onUpdate` call happens
   * after it returns.
   */
  stop(): void;
  /**
   * Runs one probe now (tests, and a quick first probe right after registration) and resolves
   * with its update, which `onUpdate` also receives. If a probe is in flight, resolves with
   * that one's update instead of starting another. The next scheduled probe follows one
   * interval after this one. Never rejects; after `stop()` (or when stopped meanwhile) resolves
   * with the current state and `changed: false`, and `onUpdate` is not called.
   */
  runNow(): Promise<CheckUpdate>;
}

/**
 * Starts running a check: the first probe after a random delay in [0, min(interval, 1 s)),
 * then one probe `interval` after the previous one finished (so probes never overlap, as in
 * Consul). Consul's first delay is in [0, interval); we probe sooner so that a new service
 * (critical until its first result) turns passing quickly. Each probe is aborted after the
 * check's timeout, measured on `clock`.
 *
 * @throws InvalidArgumentError (at start, naming the option) for a bad interval, timeout,
 *   threshold, url or target.
 */
export function startCheck(options: CheckRunnerOptions): CheckRunner {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options', 'must be an object');
  const { check, onUpdate } = options;
  if (typeof check !== 'object' || check === null) throw new InvalidArgumentError('check', 'must be a normalized HTTP or TCP check');
  if (check.kind !== 'http' && check.kind !== 'tcp') throw new InvalidArgumentError('check.kind', 'must be "http" or "tcp"');
  if (typeof onUpdate !== 'function') throw new InvalidArgumentError('onUpdate', 'must be a function');
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  for (const key of ['intervalMs', 'timeoutMs'] as const) {
    const value = check[key];
    if (!(Number.isFinite(value) && value > 0 && value <= MAX_TIMER_MS)) {
      throw new InvalidArgumentError(`check.${key}`, `must be > 0 and ≤ ${MAX_TIMER_MS} ms, got ${describe(value)}`);
    }
  }
  const probe = options.probe ?? probeFor(check);
  const initial: unknown = options.initialStatus ?? check.status ?? 'critical';
  if (!isHealthStatus(initial)) {
    throw new InvalidArgumentError(
      options.initialStatus !== undefined ? 'initialStatus' : 'check.status',
      'must be "passing", "warning" or "critical"',
    );
  }
  const thresholds = new Thresholds(check, initial);
  let output = '';
  let stopped = false;
  let timer: TimerHandle | undefined;
  let inFlight: Promise<CheckUpdate> | undefined;
  let controller: AbortController | undefined;

  const unchanged = (): CheckUpdate => ({ status: thresholds.status, output, changed: false });

  const schedule = (ms: number) => {
    timer = clock.setTimeout(() => {
      timer = undefined;
      void run();
    }, ms);
  };

  const runOnce = async (): Promise<CheckUpdate> => {
    const ac = new AbortController();
    controller = ac;
    const result = await probeWithin(probe, ac, clock, check.timeoutMs);
    controller = undefined;
    if (stopped) return unchanged();
    const previous = thresholds.status;
    const status = thresholds.observe(result.status);
    output = result.output;
    const update: CheckUpdate = { status, output, changed: status !== previous };
    try {
      onUpdate(update);
    } catch (error) {
      queueMicrotask(() => {
        throw error;
      });
    }
    return update;
  };

  const run = (): Promise<CheckUpdate> => {
    if (stopped) return Promise.resolve(unchanged());
    if (inFlight) return inFlight;
    if (timer !== undefined) {
      clock.clearTimeout(timer);
      timer = undefined;
    }
    const current = runOnce().finally(() => {
      inFlight = undefined;
      if (!stopped) schedule(check.intervalMs);
    });
    inFlight = current;
    return current;
  };

  schedule(Math.floor(Math.min(Math.max(random(), 0), 0.999_999) * Math.min(check.intervalMs, FIRST_RUN_SPREAD_MS)));

  return {
    get status() {
      return thresholds.status;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      controller?.abort(new ClosedError('check runner'));
    },
    runNow: run,
  };
}

/** The built-in probe for a check's kind. */
function probeFor(check: ActiveCheck): Probe {
  return check.kind === 'http'
    ? httpProbe({ url: check.url, method: check.method, headers: check.headers, timeoutMs: check.timeoutMs })
    : tcpProbe({ target: check.target, timeoutMs: check.timeoutMs });
}

/**
 * Runs `probe`, aborting it after `timeoutMs` on `clock`. Always resolves with a valid result:
 * a throw or an invalid value becomes `critical`, and a probe still running
 * {@link PROBE_ABANDON_MS} after the abort is abandoned as `critical`.
 */
async function probeWithin(probe: Probe, ac: AbortController, clock: Clock, timeoutMs: number): Promise<ProbeResult> {
  const timeout = clock.setTimeout(() => ac.abort(probeTimeout(timeoutMs)), timeoutMs);
  let abandon: TimerHandle | undefined;
  let onAbort: (() => void) | undefined;
  const abandoned = new Promise<ProbeResult>((resolve) => {
    onAbort = () => {
      abandon = clock.setTimeout(
        () => resolve({ status: 'critical', output: `${abortText(ac.signal.reason)} (the probe did not stop when aborted)` }),
        PROBE_ABANDON_MS,
      );
    };
    ac.signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([settled(probe, ac.signal), abandoned]);
  } finally {
    clock.clearTimeout(timeout);
    if (abandon !== undefined) clock.clearTimeout(abandon);
    if (onAbort) ac.signal.removeEventListener('abort', onAbort);
  }
}

/** The probe's result, checked; a rejection or a malformed value is a `critical` result. */
async function settled(probe: Probe, signal: AbortSignal): Promise<ProbeResult> {
  try {
    const result: unknown = await probe(signal);
    const { status, output } = (result ?? {}) as Partial<ProbeResult>;
    if (!isHealthStatus(status)) return { status: 'critical', output: `the probe returned an invalid status: ${safeString(status)}` };
    return { status, output: typeof output === 'string' ? output : '' };
  } catch (error) {
    return { status: 'critical', output: errorText(error) };
  }
}
