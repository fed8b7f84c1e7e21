/**
 * The JSON the dashboard reads: Consul's shapes (the API roster serve speaks) and roster's own
 * extensions under /v1/roster/. Every string in them is untrusted text: it is only ever shown as
 * a text node, never parsed as markup or used as a link. packages/server/src/dashboard/wire-drift.test.ts
 * fails (at type-check and at run time) when these drift from what the server sends.
 */

/** An instance's or a check's health. */
export type HealthStatus = 'passing' | 'warning' | 'critical';

/** One instance as `/v1/agent/services` and `/v1/health/service/:name` show it. */
export interface AgentService {
  readonly ID: string;
  readonly Service: string;
  readonly Tags: readonly string[] | null;
  readonly Meta: Readonly<Record<string, string>> | null;
  readonly Port: number;
  readonly Address: string;
  readonly Weights?: { readonly Passing: number; readonly Warning: number };
}

/** One check as `/v1/agent/checks` and `/v1/health/service/:name` show it. */
export interface AgentCheck {
  readonly CheckID: string;
  readonly Name: string;
  readonly Status: HealthStatus;
  readonly Output: string;
  readonly Notes?: string;
  readonly ServiceID: string;
  readonly ServiceName: string;
  readonly Type?: string;
  readonly ModifyIndex?: number;
}

/** One entry of `/v1/health/service/:name`. */
export interface HealthEntry {
  readonly Node: { readonly Node: string; readonly Address: string };
  readonly Service: AgentService;
  readonly Checks: readonly AgentCheck[];
}

/** The library's Instance, as the event stream carries it. */
export interface StreamInstance {
  readonly id: string;
  readonly service: string;
  readonly address: string;
  readonly port: number;
  readonly tags: readonly string[];
  readonly meta: Readonly<Record<string, string>>;
  readonly weight: number;
  readonly zone: string;
  readonly health: HealthStatus;
}

/** One event of `GET /v1/roster/events`. */
export type RosterEvent =
  | { readonly type: 'register'; readonly index: number; readonly at: number; readonly instance: StreamInstance; readonly updated: boolean }
  | {
      readonly type: 'deregister';
      readonly index: number;
      readonly at: number;
      readonly service: string;
      readonly id: string;
      readonly reason: string;
    }
  | {
      readonly type: 'health';
      readonly index: number;
      readonly at: number;
      readonly checkId: string;
      readonly serviceId: string;
      readonly service: string;
      readonly status: HealthStatus;
      readonly previous: HealthStatus;
      readonly health: HealthStatus;
    };

/** `GET /v1/roster/status`. */
export interface RegistryStatus {
  readonly version: string;
  readonly index: number;
  readonly startedAt: string;
  readonly uptimeSeconds: number;
  readonly instances: number;
  readonly services: number;
  readonly heldQueries: number;
  readonly watchers: number;
  readonly watches: number;
  readonly ttlRenewalsPerSecond: number;
  readonly dataDir: string;
  readonly dataDirBytes: number;
  readonly bind: string;
  readonly node: string;
  readonly datacenter: string;
  readonly acl: string;
}

/** One transition of `GET /v1/roster/history/:service`. */
export interface HealthTransition {
  readonly at: number;
  readonly index: number;
  readonly health: HealthStatus;
  readonly cause: 'register' | 'health';
  readonly checkId?: string;
  readonly status?: HealthStatus;
}

/** When a check last changed status. */
export interface CheckChange {
  readonly at: number;
  readonly index: number;
  readonly status: HealthStatus;
  readonly previous: HealthStatus;
}

/** `GET /v1/roster/history/:service`. */
export interface ServiceHistory {
  readonly service: string;
  readonly startedAt: string;
  readonly mayWrite: boolean;
  readonly instances: Readonly<
    Record<string, { readonly transitions: readonly HealthTransition[]; readonly checks: Readonly<Record<string, CheckChange>> }>
  >;
  readonly nodeChecks: Readonly<Record<string, CheckChange>>;
}

/** `GET /v1/acl/token/self` (the fields shown). */
export interface TokenSelf {
  readonly AccessorID: string;
  readonly Description: string;
  readonly Policies?: readonly { readonly Name: string }[];
}
