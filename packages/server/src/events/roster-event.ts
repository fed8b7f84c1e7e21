/** The typed events of roster serve (register / deregister / health change). */
import type { HealthStatus, Instance } from '@rosterjs/roster';
import type { RemovalReason } from '../catalog/change.js';

/** An instance was registered or its registration changed. */
export interface RegisterEvent {
  readonly type: 'register';
  /** Catalog index of the change. */
  readonly index: number;
  /** Clock time of the commit (ms). */
  readonly at: number;
  readonly instance: Instance;
  /** True when the instance existed before (a re-registration that changed it). */
  readonly updated: boolean;
}

/** An instance was removed (by its owner, or after being critical too long). */
export interface DeregisterEvent {
  readonly type: 'deregister';
  readonly index: number;
  readonly at: number;
  readonly service: string;
  readonly id: string;
  readonly reason: RemovalReason;
}

/** A check changed status (also reported: the instance's aggregated health after it). */
export interface HealthEvent {
  readonly type: 'health';
  readonly index: number;
  readonly at: number;
  readonly checkId: string;
  /** `''` for node checks (they affect every instance). */
  readonly serviceId: string;
  readonly service: string;
  readonly status: HealthStatus;
  readonly previous: HealthStatus;
  /** Aggregated health of the instance after the change (node checks included); `status` for node checks. */
  readonly health: HealthStatus;
}

/** Every event, discriminated by `type`. */
export type RosterEvent = RegisterEvent | DeregisterEvent | HealthEvent;
