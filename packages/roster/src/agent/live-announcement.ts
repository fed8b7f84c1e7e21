/**
 * LiveAnnouncement: the Announcement `announce()` returns. It wires the Lease, the self-reported
 * health, the lag watchdog, the server drainer and the signal handlers together, and runs the
 * drain sequence exactly once.
 */
import os from 'node:os';
import { describe } from '../internal/options.js';
import { sleep } from '../clock.js';
import { InvalidArgumentError } from '../errors.js';
import { type CheckRunner, startCheck } from '../health/check-runner.js';
import { TypedEvent } from '../internal/typed-event.js';
import { type HealthStatus, type Instance, isHealthStatus } from '../model.js';
import type { Lease } from '../registry/registry.js';
import type { AnnounceSettings } from './normalize-announce-options.js';
import type { Announcement, AnnouncementEvent, DrainPhase, DrainResult, DrainTrigger } from './announcement.js';
import { eventLoopDelaySource } from './event-loop-delay-source.js';
import { type LagWatchdog, startLagWatchdog } from './lag-watchdog.js';
import { type AgentHealth, SelfHealth } from './self-health.js';
import { GrpcServerDrainer, isGrpcServer } from './grpc-server-drainer.js';
import { ServerDrainer } from './server-drainer.js';
import { ServerListening } from './server-listening.js';
import { safeString } from '../internal/safe-string.js';

/** Longer than any drain: a ref'd timer that keeps the process alive while draining. */
const HOLD_MS = 2 ** 30;

/** The Announcement implementation; created by `announce()` once the instance is registered. */
export class LiveAnnouncement implements Announcement {
  readonly lease: Lease;
  readonly drained: Promise<DrainResult>;
  readonly #s: AnnounceSettings;
  readonly #events = new TypedEvent<AnnouncementEvent>('announcement:event');
  readonly #health: SelfHealth;
  readonly #drainer: ServerDrainer | GrpcServerDrainer | undefined;
  readonly #watchdog: LagWatchdog | undefined;
  readonly #listening: ServerListening | undefined;
  readonly #check: CheckRunner | undefined;
  readonly #signalHandlers = new Map<NodeJS.Signals, () => void>();
  readonly #resolveDrained: (result: DrainResult) => void;
  #drain: Promise<DrainResult> | undefined;
  #state: Announcement['state'] = 'serving';

  constructor(lease: Lease, settings: AnnounceSettings) {
    this.lease = lease;
    this.#s = settings;
    let resolveDrained: (result: DrainResult) => void = () => {};
    this.drained = new Promise((resolve) => {
      resolveDrained = resolve;
    });
    this.#resolveDrained = resolveDrained;
    const clock = settings.clock;
    this.#health = new SelfHealth({
      report: (h) => lease.setHealth(h.status, h.output),
      canReport: () => !lease.lost.aborted,
      onChange: (h) => this.#emit({ type: 'health', at: clock.now(), status: h.status, output: h.output }),
      onReportFailed: (error) => this.#emit({ type: 'health-report-failed', at: clock.now(), error }),
    });
    lease.onEvent((event) => {
      // A lease lost for good has nothing left to report lag to.
      if (event.type === 'ended') {
        this.#check?.stop();
        this.#watchdog?.stop();
        this.#listening?.stop();
      }
      this.#emit(event);
    });
    const server = settings.server;
    this.#drainer = server === undefined ? undefined : isGrpcServer(server) ? new GrpcServerDrainer(server) : new ServerDrainer(server);
    // A process whose server stopped listening must not keep heartbeating `passing` (a zombie).
    // (A grpc-js Server does not tell whether it listens.)
    this.#listening =
      server !== undefined && !isGrpcServer(server)
        ? new ServerListening({
            server,
            clock,
            everyMs: settings.heartbeatMs,
            onChange: (listening, error) => this.#serverChanged(listening, error),
          })
        : undefined;
    const lag = settings.lag;
    this.#watchdog = lag
      ? startLagWatchdog({
          clock,
          source: lag.source ?? eventLoopDelaySource(),
          intervalMs: lag.intervalMs,
          thresholdMs: lag.thresholdMs,
          recoverAfter: lag.recoverAfter,
          onChange: (status, lagMs) => {
            void this.#health.set('lag', status, status === 'warning' ? `event loop lag ${Math.round(lagMs)} ms` : '');
          },
        })
      : undefined;
    // The registry runs no checks (D140): probe our own endpoint and report through the lease.
    this.#check = settings.selfCheck
      ? startCheck({
          check: settings.selfCheck,
          clock,
          initialStatus: 'passing',
          onUpdate: (u) => {
            void this.#health.set('check', u.status, u.status === 'passing' ? '' : u.output);
          },
        })
      : undefined;
    for (const signal of settings.signals) {
      const handler = () => this.#onSignal(signal);
      this.#signalHandlers.set(signal, handler);
      process.on(signal, handler);
    }
  }

  get instance(): Instance {
    return this.lease.instance;
  }

  get health(): AgentHealth {
    return this.#health.own;
  }

  get state(): Announcement['state'] {
    return this.#state;
  }

  async setHealth(status: HealthStatus, output = ''): Promise<boolean> {
    if (!isHealthStatus(status))
      throw new InvalidArgumentError('status', `must be "passing", "warning" or "critical", got ${describe(status)}`);
    if (typeof output !== 'string') throw new InvalidArgumentError('output', 'must be a string');
    return (await this.#health.set('app', status, output)) === undefined;
  }

  drain(): Promise<DrainResult> {
    return this.#start('call', undefined);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#start('dispose', undefined);
  }

  onEvent(listener: (event: AnnouncementEvent) => void): () => void {
    return this.#events.subscribe(listener);
  }

  #emit(event: AnnouncementEvent): void {
    // A throwing listener is a bug in the caller; it must not break the drain.
    this.#events.emit(event);
  }

  #serverChanged(listening: boolean, error: Error | undefined): void {
    this.#emit({ type: 'server', at: this.#s.clock.now(), listening, ...(error ? { error } : {}) });
    const output = error ? `server is not listening: ${error.message}` : 'server is not listening';
    void this.#health.set('server', listening ? 'passing' : 'critical', listening ? '' : output);
  }

  #phase(phase: DrainPhase): void {
    this.#emit({ type: 'drain', at: this.#s.clock.now(), phase });
  }

  #onSignal(signal: NodeJS.Signals): void {
    if (this.#drain === undefined) {
      void this.#start('signal', signal);
      return;
    }
    // A second signal while draining: the operator insists.
    if (this.#s.exitOnSignal) process.exit(128 + (os.constants.signals[signal] ?? 0));
  }

  #start(trigger: DrainTrigger, signal: NodeJS.Signals | undefined): Promise<DrainResult> {
    if (this.#drain === undefined) {
      this.#drain = this.#run(trigger, signal);
      void this.#drain.then(this.#resolveDrained);
    }
    return this.#drain;
  }

  async #run(trigger: DrainTrigger, signal: NodeJS.Signals | undefined): Promise<DrainResult> {
    const clock = this.#s.clock;
    const startedAt = clock.now();
    const errors: Error[] = [];
    // The system clock's timers are unref'd; without this, a process with nothing else to do
    // could end in the middle of the drain, before it deregistered.
    const hold = setTimeout(() => {}, HOLD_MS);
    this.#state = 'draining';
    try {
      this.#phase('started');
      this.#watchdog?.stop();
      this.#check?.stop();
      // The drain closes the server itself; that is no zombie.
      this.#listening?.stop();
      this.#drainer?.startDraining();
      const markError = await this.#health.set('drain', 'critical', 'draining');
      if (markError) errors.push(markError);
      const marked = markError === undefined && !this.lease.lost.aborted;
      this.#phase('marked');
      if (this.#s.propagationMs > 0) await sleep(clock, this.#s.propagationMs);
      this.#phase('propagated');
      let forcedConnections = 0;
      if (this.#drainer) {
        forcedConnections = (await this.#drainer.close(this.#s.drainTimeoutMs, clock)).forcedConnections;
        this.#drainer.dispose();
        this.#phase('closed');
      }
      let deregistered = false;
      try {
        await this.lease.deregister();
        deregistered = true;
      } catch (error) {
        errors.push(error instanceof Error ? error : new Error(safeString(error)));
      }
      this.#phase('deregistered');
      const result: DrainResult = {
        trigger,
        ...(signal === undefined ? {} : { signal }),
        startedAt,
        endedAt: clock.now(),
        marked,
        forcedConnections,
        deregistered,
        errors,
      };
      this.#state = 'drained';
      this.#emit({ type: 'drained', at: result.endedAt, result });
      if (trigger === 'signal' && this.#s.exitOnSignal) this.#exit(result);
      return result;
    } finally {
      clearTimeout(hold);
      for (const [s, handler] of this.#signalHandlers) process.off(s, handler);
      this.#signalHandlers.clear();
    }
  }

  /** Lets the process end on its own with an exit code; ends it after the grace time if something still holds it. */
  #exit(result: DrainResult): void {
    if (process.exitCode === undefined) process.exitCode = result.errors.length === 0 ? 0 : 1;
    const timer = setTimeout(() => process.exit(), this.#s.exitGraceMs);
    timer.unref();
  }
}
