/**
 * Bad input, property-based: whatever body or path a client sends to the write endpoints, the
 * answer is 200 or a 4xx with a text body (never a 5xx, never a crash), and a refused request
 * changes nothing (the index stays).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, type TestServer, testServer } from '../testing/test-server.test-helper.js';

let t: TestServer;
beforeAll(async () => {
  t = testServer();
  await t.req('PUT', '/v1/agent/service/register', { Name: 'web', ID: 'w1', Check: { TTL: '10s' } });
});
afterAll(closeAll);

const KEYS = [
  'Name',
  'name',
  'ID',
  'Address',
  'Port',
  'Tags',
  'Meta',
  'Weights',
  'Check',
  'Checks',
  'TaggedAddresses',
  'EnableTagOverride',
  'Kind',
];
const CHECK_KEYS = [
  'HTTP',
  'TCP',
  'TTL',
  'Interval',
  'Timeout',
  'Status',
  'CheckID',
  'Name',
  'Header',
  'Method',
  'Args',
  'DeregisterCriticalServiceAfter',
  'FailuresBeforeCritical',
  'ServiceID',
];
const scalar = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('10s', '1m30s', '-1s', '0', 'http://127.0.0.1:1/', '127.0.0.1:80', 'passing', '0.0.0.0'),
);
const value = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    scalar,
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('v'), { maxKeys: 3 }),
  ),
})).v;
const checkBody = fc.dictionary(fc.constantFrom(...CHECK_KEYS), value, { maxKeys: 5 });
const serviceBody = fc.dictionary(fc.constantFrom(...KEYS), fc.oneof(value, checkBody, fc.array(checkBody, { maxLength: 3 })), {
  maxKeys: 8,
});

async function refusedCleanly(method: string, url: string, body: unknown): Promise<void> {
  const before = t.server.index;
  const r = await t.req(method, url, typeof body === 'string' ? body : JSON.stringify(body));
  expect(r.statusCode, `${url} ${JSON.stringify(body)} → ${r.body}`).toBeLessThan(500);
  if (r.statusCode !== 200) {
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(r.body.length).toBeGreaterThan(0);
    expect(t.server.index).toBe(before);
  }
}

describe('bad input', () => {
  it('service registrations: 200 or 4xx, refused ones change nothing', async () => {
    await fc.assert(
      fc.asyncProperty(serviceBody, (body) => refusedCleanly('PUT', '/v1/agent/service/register', body)),
      { numRuns: 300 },
    );
  });

  it('check registrations and updates', async () => {
    await fc.assert(
      fc.asyncProperty(checkBody, fc.constantFrom('/v1/agent/check/register', '/v1/agent/check/update/service:w1'), (body, url) =>
        refusedCleanly('PUT', url, body),
      ),
      { numRuns: 300 },
    );
  });

  it('arbitrary bytes as bodies and arbitrary ids in paths', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 200 }),
        fc.constantFrom('/v1/agent/service/register', '/v1/agent/check/register', '/v1/agent/check/update/x'),
        (body, url) => refusedCleanly('PUT', url, body),
      ),
      { numRuns: 200 },
    );
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 40 }), async (id) => {
        const path = encodeURIComponent(id);
        for (const url of [
          `/v1/agent/service/deregister/${path}`,
          `/v1/agent/check/pass/${path}`,
          `/v1/agent/service/maintenance/${path}?enable=true`,
        ]) {
          if (id === 'w1' || id === 'service:w1') continue;
          await refusedCleanly('PUT', url, undefined);
        }
        const r = await t.req('GET', `/v1/health/service/${path}?filter=${encodeURIComponent(id)}`);
        expect(r.statusCode).toBeLessThan(500);
      }),
      { numRuns: 200 },
    );
  });
});
