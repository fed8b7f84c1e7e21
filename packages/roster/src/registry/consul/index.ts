/** `roster/consul`: the Consul backend (also the client of roster serve). */
export { aggregateHealth, decodeServiceEntry, encodeRegistration, selfCheckId, ZONE_META_KEY } from './consul-codec.js';
export { type ConsulRegistryOptions, consulRegistry } from './consul-registry.js';
export { type ConsulAddressOptions, consulBaseUrl, consulToken } from './consul-url.js';
export { type TtlCheckOutcome, type TtlCheckUpdateOptions, updateTtlCheck } from './ttl-check-update.js';
