/** `roster/consul`: the Consul backend (also the client of roster serve). */
export { aggregateHealth, decodeServiceEntry, encodeRegistration, selfCheckId, ZONE_META_KEY } from './consul-codec.js';
export { type ConsulRegistryOptions, consulBaseUrl, consulRegistry, consulToken } from './consul-registry.js';
