/**
 * KeptLease: the backend-independent half of a Lease. It renews the registration on a timer,
 * re-registers when the registry forgot it, serializes health reports, and ends exactly once.
 * A backend supplies only a {@link LeaseDriver} that translates these steps to its protocol.
 */
import type { Clock, TimerHandle } from '../clock.js';
import { isRosterError, LeaseLostError } from '../errors.js';
import * as v from '../internal/options.js';
import { TypedEvent } from '../internal/typed-event.js';
import { LIMITS } from '../limits.js';
import { type HealthStatus, type Instance, isHealthStatus } from '../model.js';
import type { CallOptions, Lease, LeaseEvent } from './registry.js';
import { safeString } from '../internal/safe-string.js';

/** What the registry answered to a renewal or health report. */
export type RenewOutcome = 'ok' | 'forgotten';

/**
 * One backend's implementation of the lease steps. Called by KeptLease only, one step at a time
 * (never concurrently). Transient failures throw retryable errors; `forgotten` is a value.
 */
export interface LeaseDriver {
  /** (Re-)registers the instance with the given self-reported health. */
  register(health: HealthStatus, output: string, signal: AbortSignal): Promise<void>;
  /** Renews the TTL / checks the registration still exists. */
  renew(health: HealthStatus, output: string, signal: AbortSignal): Promise<RenewOutcome>;
  /** Stores the self-reported health (TTL checks, self-check value). */
  setHealth(health: HealthStatus, output: string, signal: AbortSignal): Promise<RenewOutcome>;
  /** Removes the registration. Resolves also when it was already gone. */
  remove(signal: AbortSignal): Promise<void>;
  /** Releases local resources when the lease ends (optional). */
  release?(): void;
}

/** Options of {@link KeptLease}. */
export interface KeptLeaseOptions {
  readonly instance: Instance;
  readonly driver: LeaseDriver;
  readonly clock: Clock;
  /** Renewal period: a third of the TTL, or how often to check the registration still exists. */
  readonly renewEveryMs: number;
  /** Delay before retrying after a failed renewal (default: min(1 s, renewEveryMs)). */
  readonly retryAfterMs?: number;
  /** Called once when the lease ends, so the owning registry can forget it. */
  readonly onEnd?: (lease: KeptLease) => void;
}

/**
 * Cuts check output longer than LIMITS.checkOutputMax bytes (UTF-8, never inside a character),
 * noting the full size, as Consul does with `check_output_max_size`.
 */
export function capOutput(output: string): string {
  const max = LIMITS.checkOutputMax;
  if (output.length <= max / 3) return output;
  const bytes = Buffer.from(output, 'utf8');
  if (bytes.length <= max) return output;
  let end = max;
  // Back up over UTF-8 continuation bytes (10xxxxxx) so no character is split.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return `${bytes.subarray(0, end).toString('utf8')} ... (captured ${end} of ${bytes.length} bytes)`;
}

/** A Lease kept alive by a timer on an injected clock. */
export class KeptLease implements Lease {
  readonly instance: Instance;
  readonly #driver: LeaseDriver;
  readonly #clock: Clock;
  readonly #renewEveryMs: number;
  readonly #retryAfterMs: number;
  readonly #onEnd: ((lease: KeptLease) => void) | undefined;
  readonly #lost = new AbortController();
  readonly #work = new AbortController();
  readonly #events = new TypedEvent<LeaseEvent>('lease:event');
  #timer: TimerHandle | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #health: HealthStatus;
  #output = '';
  #ended = false;

  constructor(options: KeptLeaseOptions) {
    this.instance = options.instance;
    this.#driver = options.driver;
    this.#clock = options.clock;
    this.#renewEveryMs = options.renewEveryMs;
    this.#retryAfterMs = options.retryAfterMs ?? Math.min(1000, options.renewEveryMs);
    this.#onEnd = options.onEnd;
    this.#health = options.instance.health;
    this.#schedule(this.#renewEveryMs);
  }

  get lost(): AbortSignal {
    return this.#lost.signal;
  }

  onEvent(listener: (event: LeaseEvent) => void): () => void {
    return this.#events.subscribe(listener);
  }

  setHealth(status: HealthStatus, output = '', options: CallOptions = {}): Promise<void> {
    try {
      if (!isHealthStatus(status)) v.fail('status', `must be "passing", "warning" or "critical", got ${v.describe(status)}`);
      if (typeof output !== 'string') v.fail('output', `must be a string, got ${v.describe(output)}`);
      v.options(options, v.CALL_OPTIONS, 'options');
    } catch (error) {
      return Promise.reject(error);
    }
    output = capOutput(output);
    return this.#serial(async () => {
      this.#assertLive();
      this.#health = status;
      this.#output = output;
      const signal = this.#signal(options.signal);
      const outcome = await this.#driver.setHealth(status, output, signal);
      if (outcome === 'forgotten') await this.#restore(signal);
    });
  }

  async deregister(options: CallOptions = {}): Promise<void> {
    v.options(options, v.CALL_OPTIONS, 'options');
    if (this.#ended) return;
    this.#stopTimer();
    await this.#serial(async () => {
      if (this.#ended) return;
      await this.#driver.remove(this.#signal(options.signal));
      this.#end('deregistered', new LeaseLostError(`${this.instance.service}/${this.instance.id} was deregistered`));
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.deregister();
  }

  /** Ends the lease without deregistering (the registry client is closing). */
  close(): void {
    this.#end('closed', new LeaseLostError(`${this.instance.service}/${this.instance.id}: registry client closed`));
  }

  #assertLive(): void {
    if (this.#ended)
      throw new LeaseLostError(`${this.instance.service}/${this.instance.id}: lease has ended`, { cause: this.#lost.signal.reason });
  }

  #signal(user: AbortSignal | undefined): AbortSignal {
    return user ? AbortSignal.any([user, this.#work.signal]) : this.#work.signal;
  }

  #serial<T>(step: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(step, step);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #emit(event: LeaseEvent): void {
    this.#events.emit(event);
  }

  #schedule(ms: number): void {
    if (this.#ended) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      void this.#serial(() => this.#renew());
    }, ms);
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #renew(): Promise<void> {
    if (this.#ended) return;
    try {
      const outcome = await this.#driver.renew(this.#health, this.#output, this.#work.signal);
      if (outcome === 'forgotten') await this.#restore(this.#work.signal);
      else this.#emit({ type: 'renewed', at: this.#clock.now() });
      this.#schedule(this.#renewEveryMs);
    } catch (error) {
      if (this.#ended) return;
      if (isRosterError(error) && !error.retryable) {
        this.#end('lost', new LeaseLostError(`${this.instance.service}/${this.instance.id}: could not be kept`, { cause: error }));
        return;
      }
      this.#emit({ type: 'renew-failed', at: this.#clock.now(), error: error instanceof Error ? error : new Error(safeString(error)) });
      this.#schedule(this.#retryAfterMs);
    }
  }

  async #restore(signal: AbortSignal): Promise<void> {
    this.#emit({ type: 'forgotten', at: this.#clock.now() });
    await this.#driver.register(this.#health, this.#output, signal);
    this.#emit({ type: 'restored', at: this.#clock.now() });
  }

  #end(reason: 'deregistered' | 'lost' | 'closed', error: LeaseLostError): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#stopTimer();
    this.#work.abort(error);
    this.#driver.release?.();
    this.#lost.abort(error);
    this.#emit({ type: 'ended', at: this.#clock.now(), reason });
    this.#events.clear();
    this.#onEnd?.(this);
  }
}
