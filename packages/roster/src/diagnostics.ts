/**
 * `node:diagnostics_channel` channels roster publishes on. Subscribe with
 * `diagnostics_channel.subscribe(name, fn)`; publishing costs nothing when nobody listens.
 */
import diagnostics from 'node:diagnostics_channel';

/** Channel names, stable like error codes. */
export const CHANNELS = {
  /** A Resolver published a new snapshot: `{ service, revision, instances, source, diff }`. */
  resolverUpdate: 'roster:resolver:update',
  /** A Resolver's watch hit a transient error and serves stale data: `{ service, error, staleSince }`. */
  resolverError: 'roster:resolver:error',
  /** An instance was ejected or returned: `{ service, instanceId, ejected, untilMs }`. */
  ejection: 'roster:balancer:ejection',
  /** A call is retried on another instance: `{ service, attempt, instanceId, reason }`. */
  retry: 'roster:fetch:retry',
  /**
   * A listener given to a roster emitter threw; the emitter and its other listeners carried on:
   * `{ event, error }` (`event` names the emitter, e.g. `resolver:update`, `lease:event`).
   */
  listenerError: 'roster:listener:error',
} as const;

export const resolverUpdateChannel = diagnostics.channel(CHANNELS.resolverUpdate);
export const resolverErrorChannel = diagnostics.channel(CHANNELS.resolverError);
export const ejectionChannel = diagnostics.channel(CHANNELS.ejection);
export const retryChannel = diagnostics.channel(CHANNELS.retry);
export const listenerErrorChannel = diagnostics.channel(CHANNELS.listenerError);
