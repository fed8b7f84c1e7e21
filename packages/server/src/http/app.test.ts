/** HTTP conventions of the Consul API (spec §2): routing, methods, bodies, headers, errors. */
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, testServer } from '../testing/test-server.test-helper.js';

afterEach(closeAll);

describe('routing and methods', () => {
  it('takes the percent-decoded rest of the path as the ID (slashes, spaces, colons)', async () => {
    const t = testServer();
    expect((await t.req('PUT', '/v1/agent/service/register', { Name: 'web', ID: 'web 1/x:y', Port: 80 })).statusCode).toBe(200);
    const r = await t.req('GET', '/v1/agent/service/web%201%2Fx%3Ay');
    expect(r.statusCode).toBe(200);
    expect(r.json().ID).toBe('web 1/x:y');
    // python-consul sends the slash raw and the space escaped.
    expect((await t.req('GET', '/v1/agent/service/deregister/web%201/x:y')).statusCode).toBe(200);
    expect(await t.get('/v1/agent/services')).toEqual({});
  });

  it('answers 405 with Allow for a wrong method, and OPTIONS with 200 and Allow', async () => {
    const t = testServer();
    const r = await t.req('POST', '/v1/agent/service/register', { Name: 'web' });
    expect(r.statusCode).toBe(405);
    expect(r.headers.allow).toBe('OPTIONS,PUT');
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(r.body).toBe('method POST not allowed');
    const d = await t.req('DELETE', '/v1/health/service/web');
    expect(d.statusCode).toBe(405);
    expect(d.headers.allow).toBe('OPTIONS,GET');
    expect(d.body).toBe('method DELETE not allowed');
    const o = await t.req('OPTIONS', '/v1/catalog/services');
    expect(o.statusCode).toBe(200);
    expect(o.body).toBe('');
    expect(o.headers.allow).toBe('OPTIONS,GET');
    expect((await t.req('GET', '/v1/agent/service/register')).statusCode).toBe(405);
  });

  it('accepts GET on the legacy write paths python-consul 0.7.1 uses, and not with strict methods', async () => {
    const t = testServer();
    await t.req('PUT', '/v1/agent/service/register', { Name: 'web', Check: { TTL: '10s' } });
    expect((await t.req('GET', '/v1/agent/check/pass/service:web?note=ok')).statusCode).toBe(200);
    expect((await t.req('GET', '/v1/agent/check/warn/service:web')).statusCode).toBe(200);
    expect((await t.req('GET', '/v1/agent/check/fail/service:web')).statusCode).toBe(200);
    await t.req('PUT', '/v1/agent/check/register', { Name: 'extra', TTL: '5s' });
    expect((await t.req('GET', '/v1/agent/check/deregister/extra')).statusCode).toBe(200);
    expect((await t.req('GET', '/v1/agent/service/deregister/web')).statusCode).toBe(200);
    // Not on endpoints python-consul calls with PUT.
    expect((await t.req('GET', '/v1/agent/service/maintenance/web?enable=true')).statusCode).toBe(405);
    expect((await t.req('GET', '/v1/agent/check/update/x')).statusCode).toBe(405);

    const strict = testServer({ legacyGet: false });
    await strict.req('PUT', '/v1/agent/service/register', { Name: 'web' });
    const r = await strict.req('GET', '/v1/agent/service/deregister/web');
    expect(r.statusCode).toBe(405);
    expect(r.headers.allow).toBe('OPTIONS,PUT');
  });

  it('answers unknown paths with Consul texts', async () => {
    const t = testServer();
    const r = await t.req('GET', '/v1/nope');
    expect(r.statusCode).toBe(404);
    expect(r.body).toBe('Invalid URL path: not a recognized HTTP API endpoint\n');
    expect((await t.req('GET', '/')).statusCode).toBe(200);
    expect((await t.req('GET', '/no-such/x')).statusCode).toBe(404);
    expect((await t.req('GET', '/v1/agent/service/%zz')).statusCode).toBe(400);
  });

  it('sends X-Consul-Default-ACL-Policy on every answer', async () => {
    const t = testServer();
    for (const [m, u] of [
      ['GET', '/v1/agent/self'],
      ['GET', '/v1/nope'],
      ['PUT', '/v1/agent/service/register'],
      ['GET', '/v1/status/leader'],
      ['OPTIONS', '/v1/agent/self'],
    ] as const) {
      expect((await t.req(m, u)).headers['x-consul-default-acl-policy']).toBe('allow');
    }
  });
});

describe('bodies', () => {
  it('parses JSON without a Content-Type, with any Content-Type, and with lower-case keys', async () => {
    const t = testServer();
    const python = '{"name": "web", "id": "web-1", "address": "127.0.0.1", "port": 8080, "tags": ["a"], "enabletagoverride": true}';
    const r = await t.server.inject({ method: 'PUT', url: '/v1/agent/service/register', payload: python, headers: { 'content-type': '' } });
    expect(r.statusCode).toBe(200);
    const r2 = await t.server.inject({
      method: 'PUT',
      url: '/v1/agent/service/register',
      payload: '{"NAME":"db","ID":"db-1","enable_tag_override":true}',
      headers: { 'content-type': 'text/plain' },
    });
    expect(r2.statusCode).toBe(200);
    const services = await t.get<Record<string, { Service: string; Port: number; EnableTagOverride: boolean }>>('/v1/agent/services');
    expect(services['web-1']).toMatchObject({ Service: 'web', Port: 8080, EnableTagOverride: true });
    expect(services['db-1']).toMatchObject({ Service: 'db', EnableTagOverride: true });
  });

  it('answers decode errors with Request decode failed', async () => {
    const t = testServer();
    const empty = await t.req('PUT', '/v1/agent/service/register');
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toBe('Request decode failed: EOF');
    const bad = await t.req('PUT', '/v1/agent/service/register', '{"Name":');
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toMatch(/^Request decode failed: /);
    const array = await t.req('PUT', '/v1/agent/service/register', '[]');
    expect(array.body).toBe('Request decode failed: json: cannot unmarshal array into Go value of type structs.ServiceDefinition');
    const wrongType = await t.req('PUT', '/v1/agent/service/register', { Name: 'web', Port: '80' });
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.body).toBe(
      'Request decode failed: json: cannot unmarshal string into Go struct field structs.ServiceDefinition.Port of type int',
    );
  });

  it('refuses bodies over the limit with 413', async () => {
    const t = testServer({ bodyLimit: 2048 });
    const r = await t.req('PUT', '/v1/agent/service/register', { Name: 'web', Meta: { big: 'x'.repeat(4000) } });
    expect(r.statusCode).toBe(413);
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(r.body).toMatch(/too large/);
  });
});

describe('answers', () => {
  it('sends JSON with Content-Type application/json, and indents it for ?pretty', async () => {
    const t = testServer();
    const r = await t.req('GET', '/v1/catalog/services');
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.body).toBe('{}');
    const p = await t.req('GET', '/v1/status/peers?pretty');
    expect(p.body).toBe('[\n    "127.0.0.1:8300"\n]\n');
    expect((await t.req('GET', '/v1/status/leader')).json()).toBe('127.0.0.1:8300');
  });

  it('sends the index headers on reads, never 0, also on their errors', async () => {
    const t = testServer();
    const r = await t.req('GET', '/v1/health/service/web?stale=');
    expect(r.json()).toEqual([]);
    expect(Number(r.headers['x-consul-index'])).toBeGreaterThanOrEqual(1);
    expect(r.headers['x-consul-knownleader']).toBe('true');
    expect(r.headers['x-consul-lastcontact']).toBe('0');
    expect(r.headers['x-consul-effective-consistency']).toBe('stale');
    expect((await t.req('GET', '/v1/catalog/services?consistent')).headers['x-consul-effective-consistency']).toBe('consistent');
    const both = await t.req('GET', '/v1/catalog/services?stale&consistent');
    expect(both.statusCode).toBe(400);
    expect(both.body).toBe('Cannot specify ?stale with ?consistent, conflicting semantics.');
    expect(Number(both.headers['x-consul-index'])).toBeGreaterThanOrEqual(1);
    const missing = await t.req('GET', '/v1/health/service/');
    expect(missing.statusCode).toBe(400);
    expect(missing.body).toBe('Missing service name');
    expect(missing.headers['x-consul-index']).toBeDefined();
    for (const url of [
      '/v1/catalog/nodes',
      '/v1/catalog/service/x',
      '/v1/health/state/any',
      '/v1/health/checks/x',
      '/v1/health/node/node-a',
    ]) {
      expect(Number((await t.req('GET', url)).headers['x-consul-index'])).toBeGreaterThanOrEqual(1);
    }
  });

  it('answers another datacenter with 500 No path to datacenter', async () => {
    const t = testServer();
    const r = await t.req('GET', '/v1/catalog/services?dc=dc2');
    expect(r.statusCode).toBe(500);
    expect(r.body).toBe('No path to datacenter');
    expect((await t.req('GET', '/v1/catalog/services?dc=dc1')).statusCode).toBe(200);
  });

  it('validates ?wait and ?index', async () => {
    const t = testServer();
    const w = await t.req('GET', '/v1/catalog/services?index=1&wait=10');
    expect(w.statusCode).toBe(400);
    expect(w.body).toBe('Invalid wait time');
    const i = await t.req('GET', '/v1/catalog/services?index=-1');
    expect(i.statusCode).toBe(400);
    expect(i.body).toBe('Invalid index');
  });
});
