/**
 * A full dump of what a server holds, for "a refused request changes nothing" tests: every
 * service and check as the agent endpoints show them (status, output, notes, definitions,
 * indexes), the catalog's services, nodes and health states, and the index headers and global
 * index. Two equal dumps mean no observable state changed in between.
 */
import type { TestServer } from './test-server.test-helper.js';

const READS = [
  '/v1/agent/services',
  '/v1/agent/checks',
  '/v1/catalog/services',
  '/v1/catalog/nodes',
  '/v1/catalog/node/node-a',
  '/v1/health/state/any',
];

/** The dump (JSON text, stable for equal states). */
export async function stateDump(t: TestServer): Promise<string> {
  const parts: Record<string, unknown> = { index: t.server.index };
  for (const url of READS) {
    const r = await t.req('GET', url);
    parts[url] = { status: r.statusCode, index: r.headers['x-consul-index'] ?? null, body: r.json() };
  }
  for (const name of Object.keys((parts['/v1/catalog/services'] as { body: Record<string, unknown> }).body)) {
    const r = await t.req('GET', `/v1/health/service/${encodeURIComponent(name)}`);
    parts[`health/service/${name}`] = { index: r.headers['x-consul-index'], body: r.json() };
  }
  return JSON.stringify(parts);
}
