/**
 * The check-target guard at registration: a link-local or metadata target (any spelling) is
 * refused with 400 naming the rule, on every way a check is registered, and nothing is
 * written. (Probe-time refusal, names and redirects: roster's health/target-guard.test.ts.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, testServer } from '../testing/test-server.test-helper.js';

afterEach(closeAll);

describe('check targets refused at registration', () => {
  it.each([
    [
      'HTTP',
      { HTTP: 'http://0xA9FEA9FE/latest/meta-data/', Interval: '10s' },
      /HTTP target refused: link-local addresses \(169\.254\.0\.0\/16\)/,
    ],
    ['HTTP', { HTTP: 'http://[::ffff:169.254.169.254]/', Interval: '10s' }, /HTTP target refused: link-local/],
    ['HTTP', { HTTP: 'http://100.100.100.200./', Interval: '10s' }, /HTTP target refused: cloud metadata address 100\.100\.100\.200/],
    ['TCP', { TCP: '[fe80::1]:22', Interval: '10s' }, /TCP target refused: link-local addresses \(fe80::\/10\)/],
    ['TCP', { TCP: '[fd00:ec2::254]:80', Interval: '10s' }, /TCP target refused: cloud metadata address fd00:ec2::254/],
    ['TCP', { TCP: '2852039166:80', Interval: '10s' }, /TCP target refused: link-local/],
  ])('%s %j → 400', async (_kind, check, text) => {
    const t = testServer();
    const before = t.server.index;
    const own = await t.req('PUT', '/v1/agent/check/register', { Name: 'c', ...check });
    expect(own.statusCode).toBe(400);
    expect(own.body).toMatch(text);
    const withService = await t.req('PUT', '/v1/agent/service/register', { Name: 'web', Port: 80, Check: check });
    expect(withService.statusCode).toBe(400);
    expect(withService.body).toMatch(text);
    expect(t.server.index).toBe(before);
  });

  it('loopback targets are still accepted', async () => {
    const t = testServer();
    const r = await t.req('PUT', '/v1/agent/service/register', {
      Name: 'web',
      Port: 80,
      Checks: [
        { HTTP: 'http://127.0.0.1:9/health', Interval: '10s' },
        { TCP: '[::1]:9', Interval: '10s' },
      ],
    });
    expect(r.statusCode).toBe(200);
  });
});
