/** The JSON shapes of a service instance (spec §3.2): AgentService, NodeService, CatalogService. */
import type { NodeInfo, InstanceRecord } from '../../catalog/types.js';
import { nodeMeta, nodeTaggedAddresses } from './node-shape.js';

function taggedAddresses(s: InstanceRecord): Record<string, { Address: string; Port: number }> | undefined {
  const keys = Object.keys(s.taggedAddresses);
  if (keys.length === 0) return undefined;
  const out: Record<string, { Address: string; Port: number }> = {};
  for (const k of keys) out[k] = { Address: s.taggedAddresses[k]!.address, Port: s.taggedAddresses[k]!.port };
  return out;
}

function weights(s: InstanceRecord) {
  return { Passing: s.weights.passing, Warning: s.weights.warning };
}

/** AgentService (`/v1/agent/services` values, `/v1/agent/service/:id`); TaggedAddresses omitted when empty. */
export function agentServiceShape(s: InstanceRecord, datacenter: string): Record<string, unknown> {
  const tagged = taggedAddresses(s);
  return {
    ID: s.id,
    Service: s.name,
    Tags: [...s.tags],
    Meta: { ...s.meta },
    Port: s.port,
    Address: s.address,
    ...(tagged ? { TaggedAddresses: tagged } : {}),
    Weights: weights(s),
    EnableTagOverride: s.enableTagOverride,
    Datacenter: datacenter,
  };
}

/** NodeService (the `Service` of a health entry, the values of catalog/node `Services`). */
export function nodeServiceShape(s: InstanceRecord): Record<string, unknown> {
  const tagged = taggedAddresses(s);
  return {
    ID: s.id,
    Service: s.name,
    Tags: [...s.tags],
    Address: s.address,
    ...(tagged ? { TaggedAddresses: tagged } : {}),
    Meta: { ...s.meta },
    Port: s.port,
    Weights: weights(s),
    EnableTagOverride: s.enableTagOverride,
    CreateIndex: s.createIndex,
    ModifyIndex: s.modifyIndex,
  };
}

/** CatalogService (`/v1/catalog/service/:name` items). */
export function catalogServiceShape(s: InstanceRecord, node: NodeInfo): Record<string, unknown> {
  const tagged = taggedAddresses(s);
  return {
    ID: node.id,
    Node: node.name,
    Address: node.address,
    Datacenter: node.datacenter,
    TaggedAddresses: nodeTaggedAddresses(node),
    NodeMeta: nodeMeta(node),
    ServiceKind: '',
    ServiceID: s.id,
    ServiceName: s.name,
    ServiceTags: [...s.tags],
    ServiceAddress: s.address,
    ...(tagged ? { ServiceTaggedAddresses: tagged } : {}),
    ServiceWeights: weights(s),
    ServiceMeta: { ...s.meta },
    ServicePort: s.port,
    ServiceEnableTagOverride: s.enableTagOverride,
    CreateIndex: s.createIndex,
    ModifyIndex: s.modifyIndex,
  };
}
