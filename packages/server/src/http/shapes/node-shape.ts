/** The JSON shape of the node (spec §3.2 "Node"): tagged addresses are strings. */
import { isIPv4, isIPv6 } from 'node:net';
import type { NodeInfo } from '../../catalog/types.js';

/** Node.TaggedAddresses: string values (the Go client decodes `map[string]string`). */
export function nodeTaggedAddresses(node: NodeInfo): Record<string, string> {
  const a = node.address;
  const out: Record<string, string> = { lan: a, wan: a };
  if (isIPv4(a)) Object.assign(out, { lan_ipv4: a, wan_ipv4: a });
  if (isIPv6(a)) Object.assign(out, { lan_ipv6: a, wan_ipv6: a });
  return out;
}

/** Node meta as a Consul agent reports it. */
export function nodeMeta(node: NodeInfo): Record<string, string> {
  return { 'consul-network-segment': '', ...node.meta };
}

/** `{ID, Node, Address, Datacenter, TaggedAddresses, Meta, CreateIndex, ModifyIndex}`. */
export function nodeShape(node: NodeInfo): Record<string, unknown> {
  return {
    ID: node.id,
    Node: node.name,
    Address: node.address,
    Datacenter: node.datacenter,
    TaggedAddresses: nodeTaggedAddresses(node),
    Meta: nodeMeta(node),
    CreateIndex: node.createIndex,
    ModifyIndex: node.modifyIndex,
  };
}
