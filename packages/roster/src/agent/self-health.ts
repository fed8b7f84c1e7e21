/**
 * SelfHealth: the health an instance reports about itself, combined from independent parts
 * (the drain, the server's listening state, the event-loop-lag watchdog, the application) — the worst part wins — and
 * reported to the registry through the Lease whenever the combination changes.
 */
import type { HealthStatus } from '../model.js';
import { worstHealth } from '../model.js';
import { safeString } from '../internal/safe-string.js';

/** The instance's own view of its health, as reported to the registry and served on `/health`. */
export interface AgentHealth {
  readonly status: HealthStatus;
  /** Why (e.g. `draining`, `event loop lag 1200 ms`); `''` when there is nothing to say. */
  readonly output: string;
}

/**
 * Who sets a part of the self-reported health. Ordered: the first non-passing part is named first.
 * `check` is the result of the HTTP check the agent runs itself where the registry runs none
 * (D140): it is reported to the registry but is not part of {@link SelfHealth.own}, which the
 * instance's `/health` serves — else one failed probe of `/health` would keep it failing.
 */
export type HealthPart = 'drain' | 'server' | 'check' | 'lag' | 'app';

const PARTS: readonly HealthPart[] = ['drain', 'server', 'check', 'lag', 'app'];
const PASSING: AgentHealth = { status: 'passing', output: '' };

/** Options of {@link SelfHealth}. */
export interface SelfHealthOptions {
  /** Stores a combined health in the registry (`lease.setHealth`). Rejects when it could not. */
  readonly report: (health: AgentHealth) => Promise<void>;
  /** False once the registration is gone for good: changes are then kept locally only. */
  readonly canReport: () => boolean;
  /** Told about every change of the combined health, synchronously, before it is reported. */
  readonly onChange: (health: AgentHealth) => void;
  /** Told when the registry did not store a change (the Lease's next renewal carries it). */
  readonly onReportFailed: (error: Error) => void;
}

/** Combines health parts and reports changes; see the file comment. */
export class SelfHealth {
  readonly #options: SelfHealthOptions;
  readonly #parts = new Map<HealthPart, AgentHealth>();
  #current: AgentHealth = PASSING;

  constructor(options: SelfHealthOptions) {
    this.#options = options;
  }

  /** The combined health now, as reported to the registry (also before the registry stored it). */
  get current(): AgentHealth {
    return this.#current;
  }

  /** The combined health without the `check` part: what the instance says about itself on `/health`. */
  get own(): AgentHealth {
    return this.#parts.has('check') ? this.#combine('check') : this.#current;
  }

  /**
   * Sets one part. When the combined health changes it is reported; resolves `undefined` once
   * stored (or when nothing changed, or nothing can be reported any more), or the Error the
   * report failed with. Never rejects.
   */
  async set(part: HealthPart, status: HealthStatus, output = ''): Promise<Error | undefined> {
    this.#parts.set(part, { status, output });
    const next = this.#combine();
    if (next.status === this.#current.status && next.output === this.#current.output) return undefined;
    this.#current = next;
    this.#options.onChange(next);
    if (!this.#options.canReport()) return undefined;
    try {
      await this.#options.report(next);
      return undefined;
    } catch (cause) {
      if (!this.#options.canReport()) return undefined;
      const error = cause instanceof Error ? cause : new Error(safeString(cause));
      this.#options.onReportFailed(error);
      return error;
    }
  }

  #combine(without?: HealthPart): AgentHealth {
    const parts = PARTS.filter((p) => p !== without).map((p) => this.#parts.get(p) ?? PASSING);
    const status = worstHealth(parts.map((p) => p.status));
    if (status === 'passing') return { status, output: this.#parts.get('app')?.output ?? '' };
    const output = parts
      .filter((p) => p.status !== 'passing' && p.output !== '')
      .map((p) => p.output)
      .join('; ');
    return { status, output };
  }
}
