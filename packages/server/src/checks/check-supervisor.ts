/**
 * Runs the checks of the catalog with the library's health engine: an HTTP/TCP runner per
 * active check, the TTL checks' deadlines on one timer (ttl-deadlines.ts), and the critical reaper for
 * DeregisterCriticalServiceAfter. It follows the catalog through committed changes only, and
 * feeds results back as operations through the committer (so they are durable like any write).
 */
import type { SecureContext } from 'node:tls';
import type { Clock, HealthStatus } from '@rosterjs/roster';
import {
  type ActiveCheck,
  type CheckRunner,
  type CriticalReaper,
  httpProbe,
  startCheck,
  startCriticalReaper,
  tcpProbe,
  ttlExpiredOutput,
} from '@rosterjs/roster/health';
import type { Catalog } from '../catalog/catalog.js';
import type { CatalogChange } from '../catalog/change.js';
import type { CheckDefinition, CheckRecord } from '../catalog/types.js';
import type { Committer } from '../commit/committer.js';
import type { CheckTargets } from './check-targets.js';
import type { CheckTrust } from './check-trust.js';
import { deregisterInstance } from '../operations/deregister-instance.js';
import { recordResult } from '../operations/update-check.js';
import { type TtlDeadline, TtlDeadlines } from './ttl-deadlines.js';

/** Options of the {@link CheckSupervisor}. */
export interface CheckSupervisorOptions {
  readonly catalog: Catalog;
  readonly committer: Committer;
  readonly clock: Clock;
  readonly random: () => number;
  /** Where HTTP/TCP checks may connect (the own-address rule and the allow-list). */
  readonly targets: CheckTargets;
  /** What https HTTP checks trust (Node's default roots when absent or without a file). */
  readonly trust?: CheckTrust;
  /** Observes each probe result (metrics). */
  readonly onRun?: (type: 'http' | 'tcp', status: HealthStatus) => void;
  /** Reports an unexpected failure (logging). */
  readonly onError?: (error: unknown, context: string) => void;
}

interface Running {
  readonly definition: CheckDefinition;
  readonly runner?: CheckRunner;
  readonly ttl?: TtlDeadline;
}

/** Starts, follows and stops the checks the server runs. */
export class CheckSupervisor {
  readonly #opts: CheckSupervisorOptions;
  readonly #running = new Map<string, Running>();
  readonly #reaper: CriticalReaper;
  readonly #ttls: TtlDeadlines;
  readonly #trust: (() => SecureContext | undefined) | undefined;
  #stopped = false;

  constructor(options: CheckSupervisorOptions) {
    this.#opts = options;
    const trust = options.trust;
    this.#trust = trust?.file === undefined ? undefined : () => trust.context();
    this.#reaper = startCriticalReaper({
      clock: options.clock,
      onDue: (checkIds) => this.#reap(checkIds),
    });
    this.#ttls = new TtlDeadlines({
      clock: options.clock,
      onExpire: (deadline) => this.#expire(deadline),
      onError: (error) => options.onError?.(error, 'ttl expiry'),
    });
  }

  /**
   * Starts every check of the catalog (server start-up). TTL checks get a grace period of one
   * TTL, so their owners have time to renew before they turn critical.
   */
  startAll(): void {
    for (const check of this.#opts.catalog.checks()) this.#start(check, true);
  }

  /** Follows one committed batch: starts, restarts and stops checks; tracks critical time. */
  apply(changes: readonly CatalogChange[]): void {
    if (this.#stopped) return;
    for (const change of changes) {
      if (change.kind === 'check-put') {
        const running = this.#running.get(change.check.id);
        if (!running || !sameDefinition(running.definition, change.check.definition)) {
          this.#stop(change.check.id);
          this.#start(change.check, false);
        } else {
          this.#observe(change.check);
        }
      } else if (change.kind === 'check-delete') {
        this.#stop(change.check.id);
        this.#reaper.forget(change.check.id);
      }
    }
  }

  /** Where HTTP/TCP checks may connect (registration routes ask it too). */
  get targets(): CheckTargets {
    return this.#opts.targets;
  }

  /** Renews the TTL deadline of a check (after a pass/warn/fail/update). */
  renewTtl(checkId: string): void {
    this.#running.get(checkId)?.ttl?.renew();
  }

  /** Runs an active check now (tests and tools); undefined when it is not running. */
  runNow(checkId: string): Promise<unknown> | undefined {
    return this.#running.get(checkId)?.runner?.runNow();
  }

  /** Number of checks with a runner or a TTL deadline. */
  get size(): number {
    return this.#running.size;
  }

  /** Stops every runner, deadline and the reaper. Idempotent. */
  stop(): void {
    this.#stopped = true;
    for (const id of [...this.#running.keys()]) this.#stop(id);
    this.#reaper.stop();
    this.#ttls.close();
  }

  #start(check: CheckRecord, restart: boolean): void {
    const d = check.definition;
    this.#observe(check);
    try {
      if (d.type === 'http' || d.type === 'tcp') {
        const active = toActiveCheck(check);
        const targets = this.#opts.targets.policyFor(check.serviceId);
        const runner = startCheck({
          check: active,
          clock: this.#opts.clock,
          random: this.#opts.random,
          probe:
            d.type === 'http'
              ? httpProbe({
                  url: active.kind === 'http' ? active.url : '',
                  method: d.method ?? 'GET',
                  headers: d.header ?? {},
                  timeoutMs: d.timeoutMs,
                  outputMaxBytes: d.outputMaxSize,
                  ...(d.disableRedirects ? { maxRedirects: 0 } : {}),
                  targets,
                  ...(d.tlsSkipVerify ? { tlsSkipVerify: true } : {}),
                  ...(d.tlsServerName === undefined ? {} : { tlsServerName: d.tlsServerName }),
                  ...(this.#trust === undefined ? {} : { secureContext: this.#trust }),
                })
              : tcpProbe({ target: d.tcp ?? '', timeoutMs: d.timeoutMs, targets }),
          initialStatus: check.status,
          onUpdate: (update) => {
            this.#opts.onRun?.(d.type as 'http' | 'tcp', update.status);
            this.#submit(recordResult(check.id, d, update.status, update.output), 'check result');
          },
        });
        this.#running.set(check.id, { definition: d, runner });
      } else if (d.type === 'ttl') {
        const ttl = this.#ttls.start(check.id, d.ttlMs, restart ? d.ttlMs : 0);
        this.#running.set(check.id, { definition: d, ttl });
      }
    } catch (error) {
      this.#opts.onError?.(error, `starting check ${check.id}`);
    }
  }

  #observe(check: CheckRecord): void {
    // DeregisterCriticalServiceAfter applies to service checks only.
    if (check.serviceId === '' || check.definition.deregisterCriticalAfterMs <= 0) {
      this.#reaper.forget(check.id);
      return;
    }
    this.#reaper.observe(check.id, check.status, check.definition.deregisterCriticalAfterMs);
  }

  #stop(checkId: string): void {
    const running = this.#running.get(checkId);
    if (!running) return;
    this.#running.delete(checkId);
    running.runner?.stop();
    running.ttl?.stop();
  }

  /** A TTL check not renewed in time turns critical (its output says so, after the last one). */
  #expire(deadline: TtlDeadline): void {
    const running = this.#running.get(deadline.id);
    if (running?.ttl !== deadline) return;
    const current = this.#opts.catalog.check(deadline.id);
    this.#submit(recordResult(deadline.id, running.definition, 'critical', ttlExpiredOutput(current?.output ?? '')), 'ttl expiry');
  }

  #reap(checkIds: readonly string[]): void {
    const services = new Set<string>();
    for (const id of checkIds) {
      const check = this.#opts.catalog.check(id);
      if (check && check.serviceId !== '' && check.status === 'critical') services.add(check.serviceId);
    }
    for (const serviceId of services) this.#submit(deregisterInstance(serviceId, 'critical-timeout', false), 'critical reap');
  }

  #submit(op: Parameters<Committer['submit']>[0], context: string): void {
    if (this.#stopped) return;
    this.#opts.committer.submit(op).catch((error: unknown) => {
      // After shutdown began the committer refuses; anything else is worth a log line.
      if (!this.#stopped) this.#opts.onError?.(error, context);
    });
  }
}

function sameDefinition(a: CheckDefinition, b: CheckDefinition): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/** The library's normalized form of an HTTP/TCP check definition. */
export function toActiveCheck(check: CheckRecord): ActiveCheck {
  const d = check.definition;
  const base = {
    id: check.id,
    name: check.name,
    status: check.status,
    deregisterCriticalAfterMs: d.deregisterCriticalAfterMs,
    successBeforePassing: d.successBeforePassing,
    failuresBeforeWarning: d.failuresBeforeWarning,
    failuresBeforeCritical: d.failuresBeforeCritical,
    intervalMs: d.intervalMs,
    timeoutMs: d.timeoutMs,
  };
  return d.type === 'http'
    ? { ...base, kind: 'http', url: d.http ?? '', method: d.method ?? 'GET', headers: d.header ?? {} }
    : { ...base, kind: 'tcp', target: d.tcp ?? '' };
}
