/**
 * roster's grpc-js LB policies (`roster_p2c_ewma`, `roster_weighted`): one pick-first leaf per
 * endpoint keeps a connection to each instance, and a roster Balancer (health filter, outlier
 * ejection, the strategy) chooses among the connected ones. An instance whose connection is not
 * READY is handed to the Balancer as `critical`, so it is not offered but keeps its load and
 * outlier state; the Balancer's own ejections publish a new picker at once.
 *
 *     resolver ─► updateAddressList(endpoints + instances) ─► leaves (connect)
 *     leaf state ─► Balancer.update(instances, not READY = critical) ─► RosterGrpcPicker
 *     call start/end ─► Balancer.start/finish (peak EWMA, outlier ejection)
 */
import { type ChannelOptions, connectivityState, experimental } from '@grpc/grpc-js';
import type { Balancer, Strategy } from '../balancer/balancer.js';
import { createBalancer } from '../balancer/create-balancer.js';
import type { Instance } from '../model.js';
import { INSTANCES_ATTRIBUTE } from './grpc-name-resolver.js';
import { addressKey } from './offered-instances.js';
import { PendingPicks, withPendingPicks } from './pending-picks.js';
import { RosterGrpcPicker } from './roster-picker.js';

type Endpoint = experimental.Endpoint;
type ChannelControlHelper = experimental.ChannelControlHelper;
type TypedLoadBalancingConfig = experimental.TypedLoadBalancingConfig;
type LoadBalancerConstructor = Parameters<typeof experimental.registerLoadBalancerType>[1];
type ConfigConstructor = Parameters<typeof experimental.registerLoadBalancerType>[2];

interface Child {
  readonly leaf: experimental.LeafLoadBalancer;
  instance: Instance;
  /** The same instance marked critical, handed to the Balancer while the leaf is not READY. */
  down: Instance;
}

/** The config class of a policy named `name` (its JSON config is `{}`). */
export function rosterLbConfigClass(name: string): ConfigConstructor {
  return class RosterLbConfig implements TypedLoadBalancingConfig {
    getLoadBalancerName(): string {
      return name;
    }
    toJsonObject(): object {
      return { [name]: {} };
    }
    static createFromJson(obj: unknown): TypedLoadBalancingConfig {
      if (typeof obj !== 'object' || obj === null || Array.isArray(obj) || Object.keys(obj).length > 0) {
        throw new Error(`${name} takes no options: write { "${name}": {} }`);
      }
      return new RosterLbConfig();
    }
  };
}

/** The LoadBalancer class of a policy named `name` whose Balancer uses `strategy()`. */
export function rosterLoadBalancerClass(name: string, strategy: () => Strategy): LoadBalancerConstructor {
  return class RosterLoadBalancer implements experimental.LoadBalancer {
    readonly #helper: ChannelControlHelper;
    readonly #childHelper: ChannelControlHelper;
    readonly #balancer: Balancer;
    readonly #pending = new PendingPicks();
    #children = new Map<string, Child>();
    #byId = new Map<string, experimental.LeafLoadBalancer>();
    #paused = false;
    #lastError: string | null = null;

    constructor(helper: ChannelControlHelper) {
      this.#helper = helper;
      this.#balancer = createBalancer({ strategy: withPendingPicks(strategy(), this.#pending) });
      this.#balancer.subscribe(() => this.#publish());
      this.#childHelper = experimental.createChildChannelControlHelper(helper, {
        updateState: (_state, _picker, errorMessage) => {
          if (errorMessage) this.#lastError = errorMessage;
          this.#rebalance();
        },
      });
    }

    updateAddressList(
      endpoints: experimental.StatusOr<Endpoint[]>,
      config: TypedLoadBalancingConfig,
      options: ChannelOptions,
      note: string,
    ): boolean {
      if (config.getLoadBalancerName() !== name) return false;
      if (!endpoints.ok) {
        // Stale-on-error: a failed resolution keeps the connections we have.
        if (this.#children.size === 0)
          this.#state(connectivityState.TRANSIENT_FAILURE, new experimental.UnavailablePicker(endpoints.error), endpoints.error.details);
        return true;
      }
      const instances = options[INSTANCES_ATTRIBUTE] as ReadonlyMap<string, Instance> | undefined;
      const children = new Map<string, Child>();
      this.#paused = true;
      for (const endpoint of endpoints.value) {
        const address = endpoint.addresses[0];
        if (address === undefined) continue;
        const key = 'port' in address ? addressKey(address.host, address.port) : address.path;
        const instance = instances?.get(key) ?? synthesized(key, address);
        const old = this.#children.get(key);
        if (old) {
          if (old.instance !== instance) {
            old.instance = instance;
            old.down = { ...instance, health: 'critical' };
          }
          children.set(key, old);
          continue;
        }
        const leaf = new experimental.LeafLoadBalancer(endpoint, this.#childHelper, options, note);
        children.set(key, { leaf, instance, down: { ...instance, health: 'critical' } });
        leaf.startConnecting();
      }
      for (const [key, child] of this.#children) if (!children.has(key)) child.leaf.destroy();
      this.#children = children;
      this.#paused = false;
      if (children.size === 0) {
        const details = `${name}: no instances. ${note}`;
        this.#balancer.update([]);
        this.#state(connectivityState.TRANSIENT_FAILURE, new experimental.UnavailablePicker({ details }), details);
        return true;
      }
      this.#rebalance();
      return true;
    }

    exitIdle(): void {
      for (const child of this.#children.values()) {
        if (child.leaf.getConnectivityState() === connectivityState.IDLE) child.leaf.exitIdle();
      }
    }

    resetBackoff(): void {}

    destroy(): void {
      for (const child of this.#children.values()) child.leaf.destroy();
      this.#children.clear();
      this.#byId.clear();
      this.#balancer.close();
    }

    getTypeName(): string {
      return name;
    }

    /** Hands the Balancer the instances, the not-READY ones as critical; it publishes a picker (→ #publish). */
    #rebalance(): void {
      if (this.#paused || this.#children.size === 0) return;
      const list: Instance[] = [];
      const byId = new Map<string, experimental.LeafLoadBalancer>();
      for (const child of this.#children.values()) {
        const ready = child.leaf.getConnectivityState() === connectivityState.READY;
        list.push(ready ? child.instance : child.down);
        byId.set(child.instance.id, child.leaf);
      }
      this.#byId = byId;
      this.#balancer.update(list);
    }

    /** Publishes the state the leaves add up to, with roster's picker when one is READY. */
    #publish(): void {
      if (this.#paused || this.#children.size === 0) return;
      let connecting = 0;
      let ready = 0;
      let failed = 0;
      for (const child of this.#children.values()) {
        const state = child.leaf.getConnectivityState();
        if (state === connectivityState.READY) ready++;
        else if (state === connectivityState.CONNECTING) connecting++;
        else if (state === connectivityState.TRANSIENT_FAILURE) failed++;
      }
      const byId = this.#byId;
      if (ready > 0) {
        const leaves = { get: (id: string) => byId.get(id)?.getPicker() };
        this.#state(connectivityState.READY, new RosterGrpcPicker(this.#balancer.picker, leaves, this.#balancer, this.#pending), null);
      } else if (connecting > 0) {
        this.#state(connectivityState.CONNECTING, new experimental.QueuePicker(this), null);
      } else if (failed > 0) {
        const details = `${name}: no connection established. Last error: ${this.#lastError ?? 'none'}`;
        this.#state(connectivityState.TRANSIENT_FAILURE, new experimental.UnavailablePicker({ details }), details);
      } else {
        this.#state(connectivityState.IDLE, new experimental.QueuePicker(this), null);
      }
      // Keep every instance connected (as round_robin does), so a pick never waits for a handshake.
      this.exitIdle();
    }

    #state(state: connectivityState, picker: experimental.Picker, error: string | null): void {
      this.#helper.updateState(state, picker, error);
    }
  };
}

/** An instance for an endpoint that came without one (the policy used with a `dns:` or `ipv4:` target). */
function synthesized(key: string, address: experimental.SubchannelAddress): Instance {
  const host = 'port' in address ? address.host : address.path;
  const port = 'port' in address ? address.port : 0;
  return { id: key, service: '', address: host, port, tags: [], meta: {}, weight: 1, zone: '', health: 'passing' };
}
