/**
 * The per-service part of a service answer, prepared once per catalog change: the healthy
 * instances with their SRV data, glue records and encoded lengths. Only the owner name
 * (the question as sent), the order and the cut differ per query, so a query builds no strings
 * and measures no records for the instances. Entries are checked against the catalog's content
 * version of the service (it moves with every change of the service, its checks and node checks),
 * so an answer is never older than the catalog.
 */
import { isIP } from 'node:net';
import type { Answer } from 'dns-packet';
import { serviceKey } from '../catalog/indexes.js';
import type { NodeInfo } from '../catalog/types.js';
import { type DnsCatalog, dnsInstances } from './dns-instances.js';
import { addressRecord, bareName, metaTxtRecords, nodeTarget } from './dns-records.js';
import { recordLength } from './fit-answer.js';
import { hexOfAddress } from './hex-address.js';

/** One instance, ready to be answered. */
export interface PreparedInstance {
  /** The service name as registered (ACL rules match it). */
  readonly name: string;
  /** The address clients use (own, else the node's). */
  readonly address: string;
  /** 4, 6, or 0 for a host name. */
  readonly family: 0 | 4 | 6;
  readonly weight: number;
  /** SRV data: priority 1, the weight, the port, the target. */
  readonly srv: { readonly priority: number; readonly weight: number; readonly port: number; readonly target: string };
  /** Encoded length of the SRV record minus its owner name. */
  readonly srvLength: number;
  /** Additional records for the SRV target. */
  readonly glue: readonly Answer[];
  /** Their encoded length. */
  readonly glueLength: number;
  /** Encoded length of this instance's A/AAAA/CNAME record minus its owner name. */
  readonly addressLength: number;
  /** `address:port`, for de-duplicating SRV answers. */
  readonly key: string;
}

/** What to prepare. */
export interface PrepareQuery {
  readonly service: string;
  readonly tag: string | undefined;
  readonly onlyPassing: boolean;
  /** The domain of the question (targets are in it). */
  readonly domain: string;
  readonly datacenter: string;
  /** TTL of the service's records. */
  readonly ttl: number;
  readonly nodeMetaTxt: boolean;
}

interface Entry {
  readonly version: string;
  readonly node: NodeInfo;
  readonly instances: readonly PreparedInstance[];
}

/** Most services kept prepared at once (least recently prepared dropped first). */
export const MAX_PREPARED_SERVICES = 1024;

/** Prepared instances per service, for one DNS server. */
export class PreparedInstances {
  readonly #entries = new Map<string, Entry>();

  /** The instances a query of `query` answers with, in catalog order; empty when none. */
  get(catalog: DnsCatalog, query: PrepareQuery): readonly PreparedInstance[] {
    const key = `${query.domain}\u0000${query.service.toLowerCase()}\u0000${query.tag?.toLowerCase() ?? ''}`;
    const version = catalog.contentVersion(serviceKey(query.service));
    const node = catalog.node;
    const cached = this.#entries.get(key);
    if (cached && cached.version === version && cached.node === node) return cached.instances;
    const instances = prepare(catalog, query);
    this.#entries.delete(key);
    // Empty answers are not kept: names of services that do not exist must not fill the table.
    if (instances.length > 0) {
      if (this.#entries.size >= MAX_PREPARED_SERVICES) this.#entries.delete(this.#entries.keys().next().value!);
      this.#entries.set(key, { version, node, instances });
    }
    return instances;
  }
}

/** Encoded length of the owner name `x` (measured with it, subtracted again). */
const OWNER_X = 3;

function prepare(catalog: DnsCatalog, query: PrepareQuery): PreparedInstance[] {
  const node = catalog.node;
  const { ttl } = query;
  return dnsInstances(catalog, { service: query.service, tag: query.tag, onlyPassing: query.onlyPassing }).map((instance) => {
    const s = instance.service;
    const glue: Answer[] = [];
    let target: string;
    if (s.address === '') {
      target = nodeTarget(node.name, query.datacenter, query.domain);
      if (isIP(node.address) !== 0) glue.push(addressRecord(target, node.address, ttl));
      if (query.nodeMetaTxt) glue.push(...metaTxtRecords(target, node.meta, ttl));
    } else {
      const hex = hexOfAddress(s.address);
      target = hex === undefined ? bareName(s.address) : `${hex}.addr.${query.datacenter}.${bareName(query.domain)}`;
      if (hex !== undefined) glue.push(addressRecord(target, s.address, ttl));
    }
    const srv = { priority: 1, weight: instance.weight, port: s.port, target };
    return {
      name: s.name,
      address: instance.address,
      family: isIP(instance.address) as 0 | 4 | 6,
      weight: instance.weight,
      srv,
      srvLength: recordLength({ type: 'SRV', name: 'x', ttl, data: srv }) - OWNER_X,
      glue,
      glueLength: glue.reduce((n, r) => n + recordLength(r), 0),
      addressLength: recordLength(addressRecord('x', instance.address, ttl)) - OWNER_X,
      key: `${instance.address}:${s.port}`,
    };
  });
}
