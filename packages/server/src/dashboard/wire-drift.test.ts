/**
 * The dashboard (a browser bundle, which cannot import server code) restates the shapes it reads
 * in `packages/dashboard/app/wire.ts`. This file keeps the two from drifting apart:
 * - at compile time (`npm run lint` type-checks tests): every server type, as JSON carries it, is
 *   assignable to the dashboard's, and each key list below names exactly the dashboard's fields;
 * - at run time: a real server's `/v1/roster/status`, `/v1/roster/history/:service` and event
 *   stream answers have exactly those keys.
 */
import type { Instance } from '@rosterjs/roster';
import { afterEach, describe, expect, it } from 'vitest';
import type * as Wire from '../../../dashboard/app/wire.js';
import type { CheckChange, HealthTransition } from '../events/health-history.js';
import type { RosterEvent } from '../events/roster-event.js';
import { closeAll, testServer } from '../testing/test-server.test-helper.js';

afterEach(closeAll);

/** Compiles only when A is assignable to B. */
type Assignable<A extends B, B> = A extends B ? true : never;
export type ServerShapesTheDashboardReads = [
  Assignable<RosterEvent, Wire.RosterEvent>,
  Assignable<Instance, Wire.StreamInstance>,
  Assignable<HealthTransition, Wire.HealthTransition>,
  Assignable<CheckChange, Wire.CheckChange>,
];

/** Exactly the keys of T: a missing or an extra key fails to compile. */
function keys<T>(record: { readonly [K in keyof Required<T>]: true }): string[] {
  return Object.keys(record).sort();
}

const STATUS = keys<Wire.RegistryStatus>({
  version: true,
  index: true,
  startedAt: true,
  uptimeSeconds: true,
  instances: true,
  services: true,
  heldQueries: true,
  watchers: true,
  watches: true,
  ttlRenewalsPerSecond: true,
  dataDir: true,
  dataDirBytes: true,
  bind: true,
  node: true,
  datacenter: true,
  acl: true,
});
const HISTORY = keys<Wire.ServiceHistory>({ service: true, startedAt: true, mayWrite: true, instances: true, nodeChecks: true });
const STREAM_INSTANCE = keys<Wire.StreamInstance>({
  id: true,
  service: true,
  address: true,
  port: true,
  tags: true,
  meta: true,
  weight: true,
  zone: true,
  health: true,
});

describe("the dashboard's wire types match what roster serve sends", () => {
  it('status, history and an event of a real server have exactly the fields the dashboard reads', async () => {
    const t = testServer();
    const seen: RosterEvent[] = [];
    t.server.subscribe((event) => seen.push(event));
    const registered = await t.req('PUT', '/v1/agent/service/register', { Name: 'orders', ID: 'o1', Port: 80, Address: '127.0.0.1' });
    expect(registered.statusCode).toBe(200);
    expect(Object.keys(await t.get<object>('/v1/roster/status')).sort()).toEqual(STATUS);
    const history = await t.get<Wire.ServiceHistory>('/v1/roster/history/orders');
    expect(Object.keys(history).sort()).toEqual(HISTORY);
    expect(Object.keys(history.instances)).toEqual(['o1']);
    expect(Object.keys(history.instances.o1!).sort()).toEqual(['checks', 'transitions']);
    // The event stream sends the library's Instance; the dashboard reads these fields of it.
    const register = seen.find((e) => e.type === 'register');
    expect(register).toBeDefined();
    const sent = Object.keys(JSON.parse(JSON.stringify(register)).instance as object);
    expect(STREAM_INSTANCE.filter((k) => !sent.includes(k))).toEqual([]);
  });
});
