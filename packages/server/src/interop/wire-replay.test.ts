/**
 * Replays the exact requests of clients we cannot run here (Prometheus v2.42 Consul SD, the Go
 * `consul/api` of the seed code) and decodes the answers as strictly as the Go client does:
 * types of every field it reads, valid Go durations inside `Definition`, string-valued node
 * tagged addresses, object-valued service tagged addresses, index headers ≥ 1.
 */
import { parseGoDuration } from 'roster';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, testServer } from '../testing/test-server.test-helper.js';

afterEach(closeAll);

const isString = (v: unknown) => typeof v === 'string';
const isInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v);
const isStringMap = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every(isString);

/** Go's decoding of api.ServiceEntry, reduced to what fails a decode or what Prometheus reads. */
function decodeServiceEntry(e: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const need = (ok: boolean, what: string) => {
    if (!ok) problems.push(what);
  };
  const node = e.Node as Record<string, unknown>;
  need(isString(node.ID) && isString(node.Node) && isString(node.Address) && isString(node.Datacenter), 'Node strings');
  need(isStringMap(node.TaggedAddresses), 'Node.TaggedAddresses map[string]string');
  need(isStringMap(node.Meta), 'Node.Meta map[string]string');
  need(isInt(node.CreateIndex) && isInt(node.ModifyIndex), 'Node indexes');
  const svc = e.Service as Record<string, unknown>;
  need(isString(svc.ID) && isString(svc.Service) && isString(svc.Address), 'Service strings');
  need(isInt(svc.Port), 'Service.Port int');
  need(Array.isArray(svc.Tags) && (svc.Tags as unknown[]).every(isString), 'Service.Tags []string');
  need(isStringMap(svc.Meta), 'Service.Meta map[string]string');
  if (svc.TaggedAddresses !== undefined) {
    for (const v of Object.values(svc.TaggedAddresses as object)) need(isString(v.Address) && isInt(v.Port), 'Service.TaggedAddresses ServiceAddress');
  }
  const w = svc.Weights as Record<string, unknown>;
  need(isInt(w.Passing) && isInt(w.Warning), 'Service.Weights ints');
  need(typeof svc.EnableTagOverride === 'boolean', 'EnableTagOverride bool');
  for (const c of e.Checks as Record<string, unknown>[]) {
    need(['passing', 'warning', 'critical'].includes(c.Status as string), 'check status');
    need(isString(c.CheckID) && isString(c.Name) && isString(c.Output) && isString(c.ServiceID) && isString(c.Type), 'check strings');
    need(Array.isArray(c.ServiceTags), 'ServiceTags array');
    const d = c.Definition as Record<string, unknown>;
    for (const key of ['Interval', 'Timeout', 'DeregisterCriticalServiceAfter']) {
      const v = d[key];
      if (v === undefined) continue;
      need(typeof v === 'number' || (typeof v === 'string' && parseGoDuration(v).ok), `Definition.${key} duration`);
    }
  }
  return problems;
}

describe('Prometheus v2.42 consul_sd_configs', () => {
  it('discovers through agent/self, catalog/services and health/service with stale, wait and index', async () => {
    const t = testServer();
    // Start-up: datacenter discovery.
    const self = (await t.req('GET', '/v1/agent/self')).json();
    expect(typeof self.Config.Datacenter).toBe('string');
    // Catalog loop, first call (no index).
    const c1 = await t.req('GET', '/v1/catalog/services?stale=&wait=120000ms');
    const i1 = Number(c1.headers['x-consul-index']);
    expect(i1).toBeGreaterThanOrEqual(1);
    expect(c1.headers['x-consul-knownleader']).toBe('true');
    expect(c1.json()).toEqual({});
    // A target appears while Prometheus blocks on the catalog.
    const c2p = t.req('GET', `/v1/catalog/services?stale=&wait=120000ms&index=${i1}`);
    await t.req('PUT', '/v1/agent/service/register', {
      Name: 'web',
      ID: 'web-1',
      Address: '10.0.0.5',
      Port: 9100,
      Tags: ['prod'],
      Meta: { team: 'a' },
      TaggedAddresses: { lan: { Address: '10.0.0.5', Port: 9100 } },
      Check: { HTTP: 'http://10.0.0.5:9100/', Interval: '15s', Timeout: '2s', DeregisterCriticalServiceAfter: '90m' },
    });
    const c2 = await c2p;
    const i2 = Number(c2.headers['x-consul-index']);
    expect(i2).toBeGreaterThan(i1);
    expect(c2.json()).toEqual({ web: ['prod'] });
    // Per-service loop: no `passing`, tag filter as configured.
    const h1 = await t.req('GET', '/v1/health/service/web?stale=&wait=120000ms&tag=prod');
    const entries = h1.json() as Record<string, unknown>[];
    expect(entries).toHaveLength(1);
    expect(decodeServiceEntry(entries[0]!)).toEqual([]);
    const hi = Number(h1.headers['x-consul-index']);
    const h2p = t.req('GET', `/v1/health/service/web?stale=&wait=120000ms&tag=prod&index=${hi}`);
    await t.req('PUT', '/v1/agent/service/maintenance/web-1?enable=true');
    const h2 = await h2p;
    expect(Number(h2.headers['x-consul-index'])).toBeGreaterThan(hi);
    const checks = (h2.json() as { Checks: { CheckID: string }[] }[])[0]!.Checks.map((c) => c.CheckID);
    expect(checks).toContain('_service_maintenance:web-1');
  });
});

describe('Go consul/api (seed code)', () => {
  it('ServiceRegister → 200; Health().Service(name, "", true, nil) → passing=1; ServiceDeregister', async () => {
    const t = testServer();
    const body =
      '{"ID":"my-service-1","Name":"my-service","Port":8080,"Address":"localhost","Check":{"Interval":"10s","Timeout":"3s","HTTP":"http://localhost:8080/health"},"Checks":null}\n';
    const reg = await t.req('PUT', '/v1/agent/service/register', body, { 'content-type': 'application/json' });
    expect(reg.statusCode).toBe(200);
    // As on real Consul, a fresh HTTP check is critical until its first probe: ?passing is empty.
    const r = await t.req('GET', '/v1/health/service/my-service?passing=1');
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual([]);
    const all = (await t.req('GET', '/v1/health/service/my-service')).json() as Record<string, unknown>[];
    expect(decodeServiceEntry(all[0]!)).toEqual([]);
    expect((await t.req('PUT', '/v1/agent/service/deregister/my-service-1')).statusCode).toBe(200);
  });
});
