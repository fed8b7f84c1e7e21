/**
 * Which instances of a snapshot a gRPC target is given: the Balancer's health rule applied on
 * the resolver side, so that grpc-js's own policies (round_robin, pick_first) get the same list.
 */
import type { Instance } from '../model.js';
import type { GrpcTarget } from './grpc-target.js';

/**
 * The instances of `instances` that match the target's tags and zone and are not `critical`;
 * `warning` ones only while the `passing` ones are fewer than `passingQuorum` of them (as
 * `createBalancer` does). Keeps the snapshot's order (by id).
 */
export function offeredInstances(instances: readonly Instance[], target: GrpcTarget, passingQuorum: number): Instance[] {
  const usable: Instance[] = [];
  let passing = 0;
  for (const instance of instances) {
    if (instance.health === 'critical') continue;
    if (target.zone !== undefined && instance.zone !== target.zone) continue;
    if (!target.tags.every((tag) => instance.tags.includes(tag))) continue;
    usable.push(instance);
    if (instance.health === 'passing') passing++;
  }
  if (passing > 0 && passing < usable.length && passing >= passingQuorum * usable.length) {
    return usable.filter((i) => i.health === 'passing');
  }
  return usable;
}

/** `host:port`, the key an endpoint and its instance share (IPv6 in brackets). */
export function addressKey(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
