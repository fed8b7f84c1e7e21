/**
 * `roster/etcd`: the etcd v3 backend. Needs the `etcd3` package (an optional peer dependency of
 * roster), loaded on the first call. Key schema and value format: docs/etcd.md.
 */
export {
  DEFAULT_ETCD_PREFIX,
  decodeInstanceValue,
  ETCD_VALUE_SCHEMA,
  type EtcdInstanceValue,
  encodeInstanceValue,
  instanceKey,
  parseInstanceKey,
  servicePrefix,
} from './etcd-codec.js';
export { type EtcdRegistryOptions, type EtcdTlsOptions, parseEtcdUrl } from './etcd-options.js';
export { etcdRegistry } from './etcd-registry.js';
