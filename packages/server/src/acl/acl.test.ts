/** Static-token ACLs (spec §7): token precedence, filtering, 403 wording, default policy header. */
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, testServer } from '../testing/test-server.test-helper.js';
import { tokenOf } from '../http/query.js';

afterEach(closeAll);

describe('tokenOf', () => {
  it.each([
    ['token=q', { 'x-consul-token': 'h', authorization: 'Bearer b' }, 'q'],
    ['', { 'x-consul-token': 'h', authorization: 'Bearer b' }, 'h'],
    ['', { authorization: 'bearer b' }, 'b'],
    ['', { authorization: 'BEARER  b ' }, 'b'],
    ['', { authorization: 'Basic dXNlcjpwdw==' }, ''],
    ['token=', {}, ''],
  ])('%s %j → %s', (query, headers, token) => {
    expect(tokenOf(new URLSearchParams(query), headers)).toBe(token);
  });
});

describe('ACLs off (default)', () => {
  it('allows everything and says so', async () => {
    const t = testServer();
    const r = await t.req('PUT', '/v1/agent/service/register?token=whatever', { Name: 'web' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['x-consul-default-acl-policy']).toBe('allow');
  });
});

describe('static tokens, default deny', () => {
  const acl = { defaultPolicy: 'deny' as const, tokens: { 'r-secret': 'read' as const, 'w-secret': 'write' as const } };

  it('refuses writes without write rights, with Consul wording', async () => {
    const t = testServer({ acl });
    const anon = await t.req('PUT', '/v1/agent/service/register', { Name: 'web' });
    expect(anon.statusCode).toBe(403);
    expect(anon.body).toBe(
      'Permission denied: anonymous token lacks permission \'service:write\' on "web". The anonymous token is used implicitly when a request does not specify a token.',
    );
    expect(anon.headers['x-consul-default-acl-policy']).toBe('deny');
    const reader = await t.req('PUT', '/v1/agent/service/register', { Name: 'web' }, { 'x-consul-token': 'r-secret' });
    expect(reader.statusCode).toBe(403);
    expect(reader.body).toMatch(/^Permission denied: token with AccessorID '[0-9a-f-]{36}' lacks permission 'service:write' on "web"$/);
    expect(reader.body).not.toContain('r-secret');
    const unknown = await t.req('PUT', '/v1/agent/service/register', { Name: 'web' }, { 'x-consul-token': 'nope' });
    expect(unknown.statusCode).toBe(403);
    expect(unknown.body).toBe('ACL not found');
    expect((await t.req('PUT', '/v1/agent/service/register?token=w-secret', { Name: 'web' })).statusCode).toBe(200);
    expect((await t.req('PUT', '/v1/agent/maintenance?enable=true', undefined, { authorization: 'Bearer r-secret' })).body).toMatch(
      /lacks permission 'node:write' on "node-a"$/,
    );
  });

  it('filters reads without rights (empty answers, index headers, filtered header only with a token)', async () => {
    const t = testServer({ acl });
    await t.req('PUT', '/v1/agent/service/register?token=w-secret', { Name: 'web' });
    const anon = await t.req('GET', '/v1/health/service/web');
    expect(anon.statusCode).toBe(200);
    expect(anon.json()).toEqual([]);
    expect(Number(anon.headers['x-consul-index'])).toBeGreaterThanOrEqual(1);
    expect(anon.headers['x-consul-results-filtered-by-acls']).toBeUndefined();
    expect((await t.req('GET', '/v1/catalog/services')).json()).toEqual({});
    expect((await t.req('GET', '/v1/agent/services')).json()).toEqual({});
    expect((await t.req('GET', '/v1/catalog/node/node-a')).json()).toBeNull();
    const reader = await t.req('GET', '/v1/health/service/web?token=r-secret');
    expect(reader.json()).toHaveLength(1);
    expect((await t.req('GET', '/v1/agent/self')).statusCode).toBe(403);
    expect((await t.req('GET', '/v1/agent/self', undefined, { 'x-consul-token': 'r-secret' })).statusCode).toBe(200);
    expect((await t.req('GET', '/v1/status/leader')).statusCode).toBe(200);
  });
});
