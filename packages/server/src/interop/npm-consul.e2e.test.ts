/**
 * The npm `consul` client (2.0.1, silas/node-consul) against roster serve over a real socket:
 * every call it makes must decode (JSON Content-Type), its errors must carry our texts, and its
 * `watch` must follow changes through blocking queries.
 */
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Consul from 'consul';
import { systemClock } from '@rosterjs/roster';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, testServer } from '../testing/test-server.test-helper.js';

afterEach(closeAll);

async function client() {
  const t = testServer({ clock: systemClock });
  const { port } = await t.server.listen();
  return { t, consul: new Consul({ host: '127.0.0.1', port, defaults: { token: 'tkn' } }) };
}

describe('npm consul 2.0.1', () => {
  it('registers, finds, passes TTL, lists and deregisters', async () => {
    const { consul } = await client();
    await consul.agent.service.register({
      name: 'web',
      id: 'web/1',
      tags: ['a'],
      meta: { k: 'v' },
      address: '127.0.0.1',
      port: 8080,
      // The package's typings want every check field; the client itself does not.
      check: { ttl: '10s', deregistercriticalserviceafter: '1m' } as never,
    });
    expect(await consul.health.service({ service: 'web', passing: true })).toEqual([]);
    await consul.agent.check.pass({ id: 'service:web/1', note: 'ok' });
    const entries = (await consul.health.service({ service: 'web', passing: true, tag: ['a'] as never })) as {
      Service: { ID: string; Port: number };
    }[];
    expect(entries.map((e) => [e.Service.ID, e.Service.Port])).toEqual([['web/1', 8080]]);
    expect(await consul.catalog.service.list()).toEqual({ web: ['a'] });
    const nodes = (await consul.catalog.service.nodes('web')) as { ServiceID: string }[];
    expect(nodes[0]?.ServiceID).toBe('web/1');
    const services = (await consul.agent.service.list()) as Record<string, { Meta: Record<string, string> }>;
    expect(services['web/1']?.Meta).toEqual({ k: 'v' });
    await consul.agent.service.maintenance({ id: 'web/1', enable: true, reason: 'test' });
    expect(await consul.health.service({ service: 'web', passing: true })).toEqual([]);
    await consul.agent.service.maintenance({ id: 'web/1', enable: false });
    await consul.agent.service.deregister('web/1');
    expect(await consul.agent.service.list()).toEqual({});
    expect(await consul.status.leader()).toBe('127.0.0.1:8300');
    expect(await consul.status.peers()).toEqual(['127.0.0.1:8300']);
    const self = (await consul.agent.self()) as { Config: { Datacenter: string } };
    expect(self.Config.Datacenter).toBe('dc1');
  });

  it('rejects with our status codes and bodies (papi uses bodies under 80 characters as the message)', async () => {
    const { consul } = await client();
    const failure = async (call: Promise<unknown>) => {
      const error = (await call.then(
        () => undefined,
        (e: unknown) => e,
      )) as { message: string; response: { statusCode: number; body: unknown } };
      return { status: error.response.statusCode, body: String(error.response.body), message: error.message };
    };
    expect(await failure(consul.agent.service.deregister('nope'))).toMatchObject({
      status: 404,
      body: 'Unknown service ID "nope". Ensure that the service ID is passed, not the service name.',
    });
    expect(await failure(consul.agent.check.pass({ id: 'nope' }))).toMatchObject({ status: 404 });
    await consul.agent.service.register({ name: 'h', check: { http: 'http://127.0.0.1:1/', interval: '10s' } as never });
    expect(await failure(consul.agent.check.pass({ id: 'service:h' }))).toMatchObject({
      status: 500,
      message: 'CheckID "service:h" does not have associated TTL',
    });
    expect(await failure(consul.agent.service.register({ name: 'web', address: '0.0.0.0' }))).toMatchObject({
      status: 400,
      message: 'Invalid service address',
    });
  });

  it('watches a service through blocking queries: registrations and deregistrations as they happen', async () => {
    const { consul } = await client();
    const watch = consul.watch({ method: consul.health.service, options: { service: 'web', passing: true, wait: '5s' } as never });
    const seen: string[][] = [];
    const changes = new Promise<void>((resolve, reject) => {
      watch.on('change', (data: { Service: { ID: string } }[]) => {
        seen.push(data.map((e) => e.Service.ID));
        if (seen.length === 1) void consul.agent.service.register({ name: 'web', id: 'w1', port: 1 });
        if (seen.length === 2) void consul.agent.service.register({ name: 'web', id: 'w2', port: 2 });
        if (seen.length === 3) void consul.agent.service.deregister('w1');
        if (seen.length === 4) void consul.agent.service.deregister('w2');
        if (seen.length === 5) resolve();
      });
      watch.on('error', reject);
    });
    try {
      await changes;
    } finally {
      watch.end();
    }
    expect(seen).toEqual([[], ['w1'], ['w1', 'w2'], ['w2'], []]);
  });

  it('registers with an HTTP check that the server runs; the watch sees it turn passing', async () => {
    const target = createHttpServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(target.address() as AddressInfo).port}/health`;
    const { consul } = await client();
    const watch = consul.watch({ method: consul.health.service, options: { service: 'api', passing: true, wait: '5s' } as never });
    try {
      const passing = new Promise<{ Service: { ID: string }; Checks: { CheckID: string; Output: string }[] }[]>((resolve, reject) => {
        watch.on('change', (data: { Service: { ID: string }; Checks: { CheckID: string; Output: string }[] }[]) => {
          if (data.length > 0) resolve(data);
        });
        watch.on('error', reject);
      });
      await consul.agent.service.register({
        name: 'api',
        id: 'api-1',
        port: 1,
        check: { http: url, interval: '1s', timeout: '1s' } as never,
      });
      const [entry] = await passing;
      expect(entry!.Service.ID).toBe('api-1');
      expect(entry!.Checks.find((c) => c.CheckID === 'service:api-1')?.Output).toBe(`HTTP GET ${url}: 200 OK Output: ok`);
    } finally {
      watch.end();
      await new Promise<void>((resolve) => target.close(() => resolve()));
    }
  });
});
