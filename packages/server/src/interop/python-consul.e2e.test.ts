/**
 * Debian's python-consul 0.7.1 (package python3-consul, run by the system Python) against
 * roster serve over real sockets. python-consul-flow.py drives the client through its own methods
 * and prints what each call returned; a recording proxy between the two shows what the client
 * really sent. Every compatibility detail is asserted here: a regression is a failing test.
 */
import { execFile } from 'node:child_process';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { systemClock } from '@rosterjs/roster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirePythonModule, SYSTEM_PYTHON } from '../../../../test-support/system.js';
import type { ServerOptions } from '../options.js';
import { type RecordedExchange, type RecordingProxy, recordingProxy } from '../testing/recording-proxy.test-helper.js';
import { closeAll, type TestServer, testServer } from '../testing/test-server.test-helper.js';

const available = requirePythonModule('consul', 'python3-consul', 'python-consul interop suite');
const SCRIPT = fileURLToPath(new URL('./python-consul-flow.py', import.meta.url));

/** A step's record: what the client method returned, or the exception it raised. */
type Step = { ok: unknown } | { error: string; message: string };
type Output = Record<string, unknown>;

interface Run {
  readonly t: TestServer;
  readonly proxy: RecordingProxy;
  readonly out: Output;
}

const proxies: RecordingProxy[] = [];
let target: Server | undefined;
let targetUrl = '';

/** Runs one scenario of the script against a fresh server (behind a recording proxy). */
async function run(scenario: string, options: Partial<ServerOptions> = {}): Promise<Run> {
  const t = testServer({ clock: systemClock, random: Math.random, ...options });
  const { port } = await t.server.listen();
  const proxy = await recordingProxy(port);
  proxies.push(proxy);
  // The client reads CONSUL_HTTP_ADDR / _TOKEN / _SSL (they would override host, port and token),
  // and `requests` honours proxy variables: the child gets none of them.
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(CONSUL_|https?_proxy$|all_proxy$|no_proxy$)/i.test(k)) env[k] = v;
  env.NO_PROXY = '*';
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(SYSTEM_PYTHON, [SCRIPT, scenario, String(proxy.port), targetUrl], { env, timeout: 60_000 }, (error, out, err) => {
      if (error) reject(new Error(`${scenario}: ${error.message}\n${err}`));
      else resolve(out);
    });
  });
  return { t, proxy, out: JSON.parse(stdout) as Output };
}

const ok = (out: Output, step: string): unknown => {
  const s = out[step] as Step | undefined;
  expect(s, `step ${step}`).toBeDefined();
  expect(s, `step ${step}`).toHaveProperty('ok');
  return (s as { ok: unknown }).ok;
};
const failed = (out: Output, step: string) => out[step] as { error: string; message: string };
const sent = (proxy: RecordingProxy, method: string, prefix: string): RecordedExchange[] =>
  proxy.exchanges.filter((e) => e.method === method && e.url.startsWith(prefix));

beforeAll(async () => {
  if (!available) return;
  target = createHttpServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => target!.listen(0, '127.0.0.1', resolve));
  targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}/health`;
});

afterAll(async () => {
  for (const p of proxies.splice(0)) await p.close();
  await closeAll();
  if (target) await new Promise<void>((resolve) => target!.close(() => resolve()));
});

describe.skipIf(!available)('python-consul 0.7.1 (Debian python3-consul)', () => {
  let flow: Run;
  beforeAll(async () => {
    flow = await run('flow');
  }, 90_000);

  it('is the Debian client, and sends what spec §8.3 says: lowercase keys, no Content-Type, ?token=', () => {
    const { out, proxy } = flow;
    expect(out.client).toBe('0.7.1');
    const [register] = sent(proxy, 'PUT', '/v1/agent/service/register?token=tkn');
    expect(register, 'register with ?token=').toBeDefined();
    expect(register!.headers['content-type']).toBeUndefined();
    expect(register!.headers['x-consul-token']).toBeUndefined();
    expect(JSON.parse(register!.body)).toEqual({
      name: 'web',
      enabletagoverride: true,
      id: 'web-1',
      address: '127.0.0.1',
      port: Number(new URL(targetUrl).port),
      tags: ['v1', 'py'],
      check: { http: targetUrl, interval: '1s', timeout: '1s', DeregisterCriticalServiceAfter: '1m' },
    });
    const [check] = sent(proxy, 'PUT', '/v1/agent/check/register');
    expect(JSON.parse(check!.body)).toEqual({ name: 'disk', ttl: '30s', id: 'disk-1', notes: 'disk space', serviceid: 'worker-1' });
    expect(sent(proxy, 'GET', '/v1/catalog/services?token=tkn').length).toBeGreaterThan(0);
    expect(sent(proxy, 'GET', '/v1/health/service/worker?passing=1&token=tkn').length).toBeGreaterThan(0);
  });

  it('accepts its GET on the legacy write paths (deregister, check pass/warn/fail/deregister) with 200', () => {
    const { proxy } = flow;
    for (const prefix of [
      '/v1/agent/check/pass/service:worker-1?note=all+good',
      '/v1/agent/check/warn/service:worker-1?note=slow',
      '/v1/agent/check/fail/service:worker-1',
      '/v1/agent/check/deregister/disk-1',
      '/v1/agent/service/deregister/web-1',
    ]) {
      const [e] = sent(proxy, 'GET', prefix);
      expect(e, prefix).toBeDefined();
      expect(e!.status, prefix).toBe(200);
      expect(e!.responseBody, prefix).toBe('');
    }
    // Every write the client made succeeded with exactly 200 (its success test), none with 405.
    expect(proxy.exchanges.filter((e) => e.status === 405)).toEqual([]);
  });

  it('reads the agent: self, status, services, checks with their definitions', () => {
    const { out } = flow;
    expect(ok(out, 'self_datacenter')).toBe('dc1');
    expect(ok(out, 'leader')).toBe('127.0.0.1:8300');
    expect(ok(out, 'peers')).toEqual(['127.0.0.1:8300']);
    for (const step of ['register_http', 'register_ttl', 'register_tcp']) expect(ok(out, step), step).toBe(true);
    expect(ok(out, 'services')).toEqual({
      'web-1': { Service: 'web', Tags: ['v1', 'py'], Port: Number(new URL(targetUrl).port), EnableTagOverride: true },
      'worker-1': { Service: 'worker', Tags: [], Port: 9001, EnableTagOverride: false },
      'db-1': { Service: 'db', Tags: [], Port: 5432, EnableTagOverride: false },
    });
    // The HTTP check's first probe runs after a random delay below 1 s: read right after the
    // registration it is usually still critical (Consul's initial status), passing if the probe of
    // the healthy target came first (seen on a loaded machine).
    const registered = ok(out, 'checks_registered') as Record<string, unknown[]>;
    expect(['critical', 'passing']).toContain(registered['service:web-1']?.[0]);
    expect({ ...registered, 'service:web-1': registered['service:web-1']?.slice(1) }).toEqual({
      'service:web-1': ['http', { HTTP: targetUrl, Method: 'GET', Interval: '1s', Timeout: '1s', DeregisterCriticalServiceAfter: '1m0s' }],
      'service:worker-1': ['critical', 'ttl', {}],
      'service:db-1': ['critical', 'tcp', { TCP: '127.0.0.1:1', Interval: '5s', Timeout: '1s' }],
    });
  });

  it('drives a TTL check with ttl_pass / ttl_warn / ttl_fail; health.service(passing=True) follows', () => {
    const { out } = flow;
    expect(ok(out, 'worker_passing_before')).toEqual([]);
    expect(ok(out, 'ttl_pass')).toBe(true);
    expect(ok(out, 'worker_passing_after')).toEqual([
      { id: 'worker-1', port: 9001, tags: [], checks: { serfHealth: 'passing', 'service:worker-1': 'passing' } },
    ]);
    expect(ok(out, 'worker_output')).toBe('all good');
    expect(ok(out, 'ttl_warn')).toBe(true);
    // ?passing drops warning instances too (spec §4.7).
    expect(ok(out, 'worker_passing_when_warning')).toEqual([]);
    expect(ok(out, 'worker_all_when_warning')).toEqual([
      { id: 'worker-1', port: 9001, tags: [], checks: { serfHealth: 'passing', 'service:worker-1': 'warning' } },
    ]);
    expect(ok(out, 'ttl_fail')).toBe(true);
    expect(ok(out, 'worker_state_critical')).toContain('service:worker-1');
    expect(ok(out, 'ttl_pass_again')).toBe(true);
    expect(ok(out, 'health_checks')).toEqual({ 'service:worker-1': 'passing' });
  });

  it('sees the HTTP check turn passing through health.service(index, wait, passing=True)', () => {
    const { out } = flow;
    const passing = ok(out, 'http_passing') as { entries: unknown[]; seconds: number };
    expect(passing.entries).toEqual([
      {
        id: 'web-1',
        port: Number(new URL(targetUrl).port),
        tags: ['v1', 'py'],
        checks: { serfHealth: 'passing', 'service:web-1': 'passing' },
      },
    ]);
    expect(passing.seconds).toBeLessThan(5);
    expect(ok(out, 'tag_filter')).toEqual(['web-1']);
    expect(ok(out, 'catalog_service')).toEqual([['web-1', Number(new URL(targetUrl).port), ['v1', 'py']]]);
  });

  it('registers and deregisters a standalone check attached to a service', () => {
    const { out } = flow;
    expect(ok(out, 'check_register')).toBe(true);
    expect(ok(out, 'check_registered')).toEqual({
      Name: 'disk',
      ServiceID: 'worker-1',
      Notes: 'disk space',
      Status: 'critical',
      Type: 'ttl',
    });
    expect(ok(out, 'check_deregister')).toBe(true);
    expect(ok(out, 'check_gone')).toBe(false);
  });

  it('blocks in catalog.services(index, wait): a registration meanwhile wakes it; no change times out with the same index', () => {
    const { out, proxy } = flow;
    const before = out.catalog_services as { index: string; services: object };
    expect(Number(before.index)).toBeGreaterThanOrEqual(1);
    expect(before.services).toEqual({ web: ['v1', 'py'], worker: [], db: [] });
    const woken = out.catalog_woken as { index: string; services: object; seconds: number };
    expect(Number(woken.index)).toBeGreaterThan(Number(before.index));
    expect(woken.services).toEqual({ web: ['v1', 'py'], worker: [], db: [], late: [] });
    // Woken by the registration 0.5 s in, not by the 20 s wait.
    expect(woken.seconds).toBeGreaterThanOrEqual(0.4);
    expect(woken.seconds).toBeLessThan(5);
    const timeout = out.catalog_timeout as { index: string; seconds: number };
    expect(timeout.index).toBe(woken.index);
    // wait=1s plus jitter below wait/16.
    expect(timeout.seconds).toBeGreaterThanOrEqual(0.99);
    expect(timeout.seconds).toBeLessThan(1.0625 + 0.5);
    expect(sent(proxy, 'GET', `/v1/catalog/services?index=${before.index}&wait=20s&token=tkn`)).toHaveLength(1);
  });

  it('reads the node views and puts a service into maintenance (enable=True / False)', () => {
    const { out, proxy } = flow;
    expect(ok(out, 'catalog_nodes')).toEqual(['node-a']);
    expect(ok(out, 'catalog_node')).toEqual(['db-1', 'late', 'web-1', 'worker-1']);
    expect(ok(out, 'health_node')).toEqual(['serfHealth', 'service:db-1', 'service:web-1', 'service:worker-1']);
    expect(ok(out, 'maintenance_on')).toBe(true);
    expect(sent(proxy, 'PUT', '/v1/agent/service/maintenance/worker-1?enable=True&reason=upgrade')).toHaveLength(1);
    expect(ok(out, 'worker_in_maintenance')).toEqual([
      [],
      { serfHealth: 'passing', '_service_maintenance:worker-1': 'critical', 'service:worker-1': 'passing' },
    ]);
    expect(ok(out, 'maintenance_off')).toBe(true);
    expect(ok(out, 'worker_after_maintenance')).toEqual(['worker-1']);
    expect(ok(out, 'node_maintenance_on')).toBe(true);
    expect(ok(out, 'passing_in_node_maintenance')).toEqual([]);
    expect(ok(out, 'node_maintenance_off')).toBe(true);
    expect(sent(proxy, 'PUT', '/v1/agent/maintenance?enable=true&reason=node+work')).toHaveLength(1);
    expect(ok(out, 'members')).toEqual([['node-a', 1]]);
    expect(ok(out, 'datacenters')).toEqual(['dc1']);
  });

  it('writes the catalog on this node (lowercase keys, WriteRequest) and is refused for another node', () => {
    const { out, proxy } = flow;
    expect(ok(out, 'catalog_register')).toBe(true);
    const [e] = sent(proxy, 'PUT', '/v1/catalog/register?token=tkn');
    expect(JSON.parse(e!.body)).toMatchObject({ node: 'node-a', address: '127.0.0.1', WriteRequest: { Token: 'tkn' } });
    expect(ok(out, 'ext_passing')).toEqual([
      { id: 'ext-1', port: 80, tags: [], checks: { serfHealth: 'passing', 'ext-check': 'passing' } },
    ]);
    expect(ok(out, 'catalog_deregister')).toBe(true);
    expect(failed(out, 'catalog_register_other_node')).toEqual({
      error: 'BadRequest',
      message: '400 Unknown node "elsewhere": roster serve has one node, "node-a"',
    });
  });

  it('round-trips ids with a raw slash, a space and unicode as the client quotes them', () => {
    const { out, proxy } = flow;
    expect(ok(out, 'register_odd')).toBe(true);
    expect(ok(out, 'register_unicode')).toBe(true);
    expect(ok(out, 'odd_ids')).toEqual(['db-1', 'late', 'odd 1/x', 'web-1', 'worker-1', 'wéb-ü']);
    expect(sent(proxy, 'GET', '/v1/agent/service/deregister/odd%201/x')).toHaveLength(1);
    expect(sent(proxy, 'GET', '/v1/agent/service/deregister/w%C3%A9b-%C3%BC')).toHaveLength(1);
    expect(ok(out, 'deregister_odd')).toBe(true);
    expect(ok(out, 'deregister_unicode')).toBe(true);
    expect(ok(out, 'odd_after')).toEqual([]);
  });

  it("reports errors the client's way: False for 404, BadRequest for 400, ConsulException for 500", () => {
    const { out } = flow;
    // CB.bool returns False on 404 (Consul: Unknown service/check ID).
    expect(ok(out, 'deregister_unknown')).toBe(false);
    expect(ok(out, 'ttl_pass_unknown')).toBe(false);
    // Consul's 500 for a TTL update of a non-TTL check (clients string-match it).
    expect(failed(out, 'ttl_pass_http_check')).toEqual({
      error: 'ConsulException',
      message: '500 CheckID "service:web-1" does not have associated TTL',
    });
    expect(failed(out, 'register_bad_address')).toEqual({ error: 'BadRequest', message: '400 Invalid service address' });
    expect(failed(out, 'register_bad_name')).toMatchObject({
      error: 'BadRequest',
      message: expect.stringMatching(/^400 Invalid service: Name: "we b"/),
    });
    expect(failed(out, 'register_script_check')).toEqual({
      error: 'BadRequest',
      message: '400 Invalid check: script checks are not supported (roster never runs commands)',
    });
    // An unknown service is [] with an index (the client reads X-Consul-Index on every answer).
    const [index, nodes] = ok(out, 'health_unknown_service') as [string, unknown[]];
    expect(Number(index)).toBeGreaterThanOrEqual(1);
    expect(nodes).toEqual([]);
  });

  it('deregisters everything with GET; the server is empty afterwards', async () => {
    const { out, t } = flow;
    for (const id of ['web-1', 'worker-1', 'db-1', 'late']) expect(ok(out, `deregister_${id}`), id).toBe(true);
    expect(ok(out, 'services_after')).toEqual({});
    expect(ok(out, 'catalog_after')).toEqual({});
    // Only what the dot-segment step below left behind.
    expect(Object.keys(await t.get('/v1/agent/services'))).toEqual(['dots/../b']);
  });

  it("cannot deregister an id with '..' segments: requests removes them before sending (client-side)", async () => {
    const { out, proxy, t } = flow;
    expect(ok(out, 'register_dots')).toBe(true);
    // The client asked for 'dots/../b'; its HTTP library sent '/b'. roster did not resolve anything.
    const [e] = sent(proxy, 'GET', '/v1/agent/service/deregister/');
    expect(proxy.exchanges.filter((x) => x.url.includes('..'))).toEqual([]);
    expect(sent(proxy, 'GET', '/v1/agent/service/deregister/b')).toHaveLength(1);
    expect(e).toBeDefined();
    expect(ok(out, 'deregister_dots')).toBe(false);
    expect(ok(out, 'dots_after')).toEqual(['dots/../b']);
    // The id itself is fine: a client that encodes the slash (npm: %2F) removes it.
    expect((await t.req('PUT', '/v1/agent/service/deregister/dots%2F..%2Fb')).statusCode).toBe(200);
    expect(await t.get('/v1/agent/services')).toEqual({});
  });
});

describe.skipIf(!available)('python-consul 0.7.1 against --strict-methods (legacyGet: false)', () => {
  let strict: Run;
  beforeAll(async () => {
    strict = await run('strict', { legacyGet: false });
  }, 60_000);

  it("gets Consul's 405 for its GET writes, which the client reports as False; nothing changes", async () => {
    const { out, proxy, t } = strict;
    expect(ok(out, 'register_ttl')).toBe(true);
    expect(ok(out, 'ttl_pass')).toBe(false);
    expect(ok(out, 'deregister')).toBe(false);
    expect(ok(out, 'services')).toEqual(['worker-1']);
    expect(ok(out, 'checks')).toEqual({ 'service:worker-1': 'critical' });
    const refused = proxy.exchanges.filter((e) => e.status === 405);
    expect(refused.map((e) => [e.method, e.url, e.responseBody, e.responseHeaders.allow])).toEqual([
      ['GET', '/v1/agent/check/pass/service:worker-1', 'method GET not allowed', 'OPTIONS,PUT'],
      ['GET', '/v1/agent/service/deregister/worker-1', 'method GET not allowed', 'OPTIONS,PUT'],
    ]);
    expect(Object.keys(await t.get('/v1/agent/services'))).toEqual(['worker-1']);
  });
});

describe.skipIf(!available)('python-consul 0.7.1 against default-deny ACLs', () => {
  let acl: Run;
  beforeAll(async () => {
    acl = await run('acl', { acl: { defaultPolicy: 'deny', tokens: { tkn: 'write' } } });
  }, 60_000);

  it('authorizes with ?token=, refuses a wrong or missing token with 403 (ACLPermissionDenied)', () => {
    const { out } = acl;
    expect(ok(out, 'register_with_token')).toBe(true);
    expect(failed(out, 'register_anonymous')).toMatchObject({
      error: 'ACLPermissionDenied',
      message:
        'Permission denied: anonymous token lacks permission \'service:write\' on "web". The anonymous token is used implicitly when a request does not specify a token.',
    });
    expect(failed(out, 'register_wrong_token')).toEqual({ error: 'ACLPermissionDenied', message: 'ACL not found' });
    expect(ok(out, 'catalog_with_token')).toEqual({ web: [] });
    // Reads without a token are filtered, not refused.
    expect(ok(out, 'catalog_anonymous')).toEqual({});
    expect(ok(out, 'health_with_token')).toEqual(['web-1']);
  });

  it('cannot authorize the calls it sends without a token (agent.services, TTL updates, deregister), as on Consul', async () => {
    const { out, t } = acl;
    expect(ok(out, 'agent_services')).toEqual([]);
    expect(failed(out, 'ttl_pass')).toMatchObject({ error: 'ACLPermissionDenied' });
    expect(failed(out, 'deregister')).toMatchObject({ error: 'ACLPermissionDenied' });
    const r = await t.req('GET', '/v1/agent/services', undefined, { 'x-consul-token': 'tkn' });
    expect(Object.keys(r.json())).toEqual(['web-1']);
  });
});
