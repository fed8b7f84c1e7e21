/** `roster/consul`: the Consul backend (also the client of roster serve). */
export { aggregateHealth, decodeServiceEntry, encodeRegistration, selfCheckId, ZONE_META_KEY } from './consul-codec.js';
export { type ConsulRegistryOptions, consulRegistry } from './consul-registry.js';
export { type ConsulHttp, type ConsulRequest, type ConsulResponse } from './consul-http.js';
export { type ConsulAddressOptions, consulBaseUrl, consulHttpFor, consulToken, resolveConsulToken } from './consul-url.js';
export type { RegistryTlsOptions } from '../tls-material.js';
export { type TtlCheckOutcome, type TtlCheckUpdateOptions, updateTtlCheck } from './ttl-check-update.js';
