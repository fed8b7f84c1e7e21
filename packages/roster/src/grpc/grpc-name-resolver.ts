/**
 * The grpc-js name resolver of the `roster:` scheme: it hands grpc-js the instances of the
 * process-wide Resolver of the target's service — on every change the Resolver publishes, no
 * polling — together with the service config (load-balancing and retry policy).
 *
 * Stale-on-error comes from the Resolver: while the registry is down it keeps its last good
 * snapshot and publishes nothing, so grpc-js keeps the last list (never an empty one).
 */
import { type ChannelOptions, experimental, Metadata, type ServiceConfig, status } from '@grpc/grpc-js';
import type { Instance } from '../model.js';
import { acquireResolver, type ResolverHandle } from '../resolver/shared-resolvers.js';
import { type GrpcResolverSettings, serviceConfigOf } from './grpc-options.js';
import { type GrpcTarget, parseGrpcTarget } from './grpc-target.js';
import { addressKey, offeredInstances } from './offered-instances.js';

/**
 * The resolver attribute that carries the instances behind the endpoints (by `host:port`) to
 * roster's LB policies. Its prefix keeps it out of grpc-js's subchannel arguments.
 */
export const INSTANCES_ATTRIBUTE = 'grpc.internal.no_subchannel.roster.instances';

type ResolverConstructor = Parameters<typeof experimental.registerResolver>[1];
type ResolverListener = experimental.ResolverListener;

/** Builds the resolver class grpc-js instantiates per channel, bound to `settings`. */
export function rosterResolverClass(settings: GrpcResolverSettings): ResolverConstructor {
  return class RosterNameResolver implements experimental.Resolver {
    readonly #target: GrpcTarget;
    readonly #listener: ResolverListener;
    /** Null: the channel has its own `grpc.service_config`, which then wins. */
    readonly #serviceConfig: ServiceConfig | null;
    #handle: ResolverHandle | undefined;
    #unsubscribe: (() => void) | undefined;
    #readyTimer: NodeJS.Timeout | undefined;
    #scheduled = false;
    #timedOut = false;
    /** What was last handed to grpc-js (a signature of the list); undefined after (re)start. */
    #pushed: string | undefined;

    constructor(target: experimental.GrpcUri, listener: ResolverListener, options: ChannelOptions) {
      this.#target = parseGrpcTarget(target.path, target.authority, settings.scheme);
      this.#listener = listener;
      this.#serviceConfig =
        options['grpc.service_config'] === undefined
          ? (serviceConfigOf(settings, this.#target.service, this.#target.lb) as ServiceConfig)
          : null;
    }

    /** grpc-js's `:authority` for the channel: the service name. */
    static getDefaultAuthority(target: experimental.GrpcUri): string {
      return parseGrpcTarget(target.path, target.authority, settings.scheme).service;
    }

    updateResolution(): void {
      if (this.#handle === undefined) {
        this.#handle = acquireResolver(settings.registry, this.#target.service);
        const resolver = this.#handle.resolver;
        this.#unsubscribe = resolver.subscribe(() => this.#schedule());
        if (resolver.current() === undefined) {
          this.#readyTimer = setTimeout(() => {
            this.#timedOut = true;
            this.#schedule();
          }, settings.readyTimeoutMs);
          this.#readyTimer.unref();
        }
      }
      this.#schedule();
    }

    destroy(): void {
      this.#unsubscribe?.();
      this.#unsubscribe = undefined;
      this.#handle?.release();
      this.#handle = undefined;
      if (this.#readyTimer !== undefined) clearTimeout(this.#readyTimer);
      this.#readyTimer = undefined;
      this.#timedOut = false;
      this.#pushed = undefined;
    }

    /** grpc-js wants results never synchronously with `updateResolution`; several changes in one tick coalesce. */
    #schedule(): void {
      if (this.#scheduled) return;
      this.#scheduled = true;
      process.nextTick(() => {
        this.#scheduled = false;
        if (this.#handle !== undefined) this.#push(this.#handle);
      });
    }

    #push(handle: ResolverHandle): void {
      const state = handle.resolver.state();
      const snapshot = state.snapshot;
      if (snapshot === undefined) {
        if (!this.#timedOut || this.#pushed === 'error') return;
        this.#pushed = 'error';
        const cause = state.lastError ? `: ${state.lastError.message}` : '';
        const details = `roster: no snapshot of ${this.#target.service} from the registry within ${settings.readyTimeoutMs} ms${cause}`;
        this.#listener(
          { ok: false, error: { code: status.UNAVAILABLE, details, metadata: new Metadata() } },
          {},
          this.#serviceConfig === null ? null : { ok: true, value: this.#serviceConfig },
          details,
        );
        return;
      }
      if (this.#readyTimer !== undefined) clearTimeout(this.#readyTimer);
      this.#readyTimer = undefined;
      const offered = offeredInstances(snapshot.instances, this.#target, settings.passingQuorum);
      const signature = offered.map((i) => `${i.id}@${addressKey(i.address, i.port)}/${i.health}/${i.weight}/${i.zone}`).join(',');
      if (signature === this.#pushed) return;
      this.#pushed = signature;
      const byAddress = new Map<string, Instance>();
      for (const instance of offered) byAddress.set(addressKey(instance.address, instance.port), instance);
      const note = `roster: ${offered.length} of ${snapshot.instances.length} instances of ${this.#target.service} (revision ${snapshot.revision}${state.stale ? ', stale' : ''})`;
      this.#listener(
        { ok: true, value: offered.map((i) => ({ addresses: [{ host: i.address, port: i.port }] })) },
        { [INSTANCES_ATTRIBUTE]: byAddress },
        this.#serviceConfig === null ? null : { ok: true, value: this.#serviceConfig },
        note,
      );
    }
  };
}
