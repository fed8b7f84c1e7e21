/** The checks-per-service limit across every way a check reaches a service. */
import { LIMITS } from '@rosterjs/roster';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, testServer } from '../testing/test-server.test-helper.js';

afterEach(closeAll);

const ttl = (n: number, prefix = 'c') => Array.from({ length: n }, (_, i) => ({ CheckID: `${prefix}${i}`, TTL: '1m' }));
const MESSAGE = (n: number) => `Invalid check: service "w1" would have ${n} checks; the limit is ${LIMITS.checksMax} per service`;

describe('checks per service', () => {
  it(`is ${LIMITS.checksMax}, counting checks attached later, kept on re-registration, or written through the catalog`, async () => {
    const t = testServer();
    const max = LIMITS.checksMax;
    expect((await t.req('PUT', '/v1/agent/service/register', { Name: 'web', ID: 'w1', Checks: ttl(max - 1) })).statusCode).toBe(200);
    expect((await t.req('PUT', '/v1/agent/check/register', { Name: 'extra', ServiceID: 'w1', TTL: '1m' })).statusCode).toBe(200);
    const before = t.server.index;
    const attach = await t.req('PUT', '/v1/agent/check/register', { Name: 'one-more', ServiceID: 'w1', TTL: '1m' });
    expect([attach.statusCode, attach.body]).toEqual([400, MESSAGE(max + 1)]);
    // Replacing an existing check is not one more.
    expect((await t.req('PUT', '/v1/agent/check/register', { Name: 'extra', ServiceID: 'w1', TTL: '2m' })).statusCode).toBe(200);
    // A re-registration keeps the checks it does not mention (Consul), so those count.
    const again = await t.req('PUT', '/v1/agent/service/register', { Name: 'web', ID: 'w1', Checks: ttl(2, 'd') });
    expect([again.statusCode, again.body]).toEqual([400, MESSAGE(max + 2)]);
    const catalog = await t.req('PUT', '/v1/catalog/register', {
      Node: 'node-a',
      Address: '127.0.0.1',
      Check: { CheckID: 'static', Name: 'static', ServiceID: 'w1', Status: 'passing' },
    });
    expect([catalog.statusCode, catalog.body]).toEqual([400, MESSAGE(max + 1)]);
    // Nothing written by the refusals; maintenance does not count.
    expect(Object.keys(await t.get('/v1/agent/checks'))).toHaveLength(max);
    expect((await t.req('PUT', '/v1/agent/service/maintenance/w1?enable=true')).statusCode).toBe(200);
    // With replace-existing-checks the new set is all there is.
    expect(
      (await t.req('PUT', '/v1/agent/service/register?replace-existing-checks', { Name: 'web', ID: 'w1', Checks: ttl(2, 'd') })).statusCode,
    ).toBe(200);
    expect(Object.keys(await t.get('/v1/agent/checks')).sort()).toEqual(['_service_maintenance:w1', 'd0', 'd1']);
    expect(t.server.index).toBeGreaterThan(before);
  });
});
