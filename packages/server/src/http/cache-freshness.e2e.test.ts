/**
 * Cached reads are never stale (D184): over random sequences of changes to a real roster serve —
 * registrations, deregistrations, TTL pass/warn/fail with new output, node maintenance — every
 * `GET /v1/health/service/:name` (with and without `?passing`) and `GET /v1/catalog/service/:name`
 * answers what the uncached agent endpoints (`/v1/agent/services`, `/v1/agent/checks`) say at that
 * moment, read twice in a row (the second read is the cached one). A cached answer is kept while
 * its service's content version is unchanged, and a change of another service must not move it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type RosterServer } from '../index.js';

let server: RosterServer;
let dataDir = '';
let url = '';

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'roster-cache-fresh-'));
  server = createServer({ port: 0, dataDir, logLevel: 'silent', sync: 'normal' });
  url = (await server.listen()).url;
});

afterAll(async () => {
  await server?.close();
  await rm(dataDir, { recursive: true, force: true });
});

const SERVICES = ['alpha', 'beta'];
const IDS = ['i1', 'i2', 'i3', 'i4'];

async function put(path: string, body?: unknown): Promise<void> {
  const r = await fetch(`${url}${path}`, { method: 'PUT', body: body === undefined ? undefined : JSON.stringify(body) });
  await r.arrayBuffer();
  expect([200, 404]).toContain(r.status);
}

async function get(path: string): Promise<unknown> {
  const r = await fetch(`${url}${path}`);
  expect(r.status, path).toBe(200);
  return r.json();
}

type Entry = { Service: { ID: string; Port: number }; Checks: { CheckID: string; Status: string; Output: string }[] };

/** What the uncached agent endpoints say about `service`: its instances and checks, by ID. */
async function expected(service: string) {
  const services = (await get('/v1/agent/services')) as Record<string, { Service: string; Port: number }>;
  const checks = (await get('/v1/agent/checks')) as Record<string, { ServiceID: string; Status: string; Output: string }>;
  const nodeChecks = Object.entries(checks).filter(([, c]) => c.ServiceID === '');
  const ids = Object.keys(services)
    .filter((id) => services[id]!.Service === service)
    .sort();
  return ids.map((id) => {
    const own = Object.entries(checks).filter(([, c]) => c.ServiceID === id);
    const all = [...nodeChecks, ...own].map(([checkId, c]) => ({ CheckID: checkId, Status: c.Status, Output: c.Output }));
    return { id, port: services[id]!.Port, checks: all.sort((a, b) => a.CheckID.localeCompare(b.CheckID)) };
  });
}

/** An answer in the same terms (serfHealth, which the agent does not list, left out). */
function seen(entries: Entry[]) {
  return entries.map((e) => ({
    id: e.Service.ID,
    port: e.Service.Port,
    checks: e.Checks.filter((c) => c.CheckID !== 'serfHealth')
      .map((c) => ({ CheckID: c.CheckID, Status: c.Status, Output: c.Output }))
      .sort((a, b) => a.CheckID.localeCompare(b.CheckID)),
  }));
}

type Op =
  | { kind: 'register'; id: string; service: string; port: number }
  | { kind: 'deregister'; id: string }
  | { kind: 'pass' | 'warn' | 'fail'; id: string; note: string }
  | { kind: 'maintenance'; enable: boolean };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('register' as const),
    id: fc.constantFrom(...IDS),
    service: fc.constantFrom(...SERVICES),
    port: fc.integer({ min: 1, max: 9 }),
  }),
  fc.record({ kind: fc.constant('deregister' as const), id: fc.constantFrom(...IDS) }),
  fc.record({
    kind: fc.constantFrom('pass' as const, 'warn' as const, 'fail' as const),
    id: fc.constantFrom(...IDS),
    note: fc.constantFrom('', 'a', 'b'),
  }),
  fc.record({ kind: fc.constant('maintenance' as const), enable: fc.boolean() }),
);

async function apply(o: Op): Promise<void> {
  switch (o.kind) {
    case 'register':
      return put('/v1/agent/service/register', { Name: o.service, ID: o.id, Port: o.port, Check: { CheckID: `${o.id}:ttl`, TTL: '10m' } });
    case 'deregister':
      return put(`/v1/agent/service/deregister/${o.id}`);
    case 'pass':
    case 'warn':
    case 'fail':
      return put(`/v1/agent/check/${o.kind}/${o.id}:ttl?note=${o.note}`);
    case 'maintenance':
      return put(`/v1/agent/maintenance?enable=${o.enable}&reason=test`);
  }
}

describe('cached reads follow every change', () => {
  it('health/service and catalog/service answer what the agent says, after any sequence of changes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 20 }), async (ops) => {
        for (const o of ops) {
          await apply(o);
          for (const service of SERVICES) {
            const want = await expected(service);
            const passing = want.filter((e) => e.checks.every((c) => c.Status === 'passing'));
            for (let read = 0; read < 2; read++) {
              expect(seen((await get(`/v1/health/service/${service}`)) as Entry[])).toEqual(want);
              expect(seen((await get(`/v1/health/service/${service}?passing=1`)) as Entry[])).toEqual(passing);
              const catalog = (await get(`/v1/catalog/service/${service}`)) as { ServiceID: string; ServicePort: number }[];
              expect(catalog.map((s) => [s.ServiceID, s.ServicePort])).toEqual(want.map((e) => [e.id, e.port]));
            }
          }
        }
        // Back to nothing, so the next run starts from the same catalog.
        for (const id of IDS) await put(`/v1/agent/service/deregister/${id}`);
        await put('/v1/agent/maintenance?enable=false');
      }),
      { numRuns: 12 },
    );
  }, 120_000);
});
