/**
 * A representative subset of the ACL matrix driven through third-party clients with tokens, over
 * real sockets on 127.0.0.1: the npm `consul` client (2.0.1) and Debian's python-consul (0.7.1,
 * run by the system Python, python-consul-acl.py), each as {no token, read `orders*`, write
 * `orders` only, management, unknown token} against roster serve with default-deny ACLs →
 * register, catalog deregister, catalog and health reads (tag, passing and `?filter=`), with the
 * outcome the matrix (acl-matrix.test.ts) expects: writes refused with Consul's 403 texts, reads
 * filtered, never refused (an unknown token: 403 "ACL not found" everywhere). The same steps once
 * more over mutual TLS (verify-incoming).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import https from 'node:https';
import { fileURLToPath } from 'node:url';
import Consul from 'consul';
import { systemClock } from '@rosterjs/roster';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeTestCertificates, type TestCertificates } from '../../../../test-support/etcd.js';
import { ordersAcl } from '../../../../test-support/secure-registry.js';
import { pythonHasModule, SYSTEM_PYTHON, which } from '../../../../test-support/system.js';
import type { ServerOptions } from '../options.js';
import { closeAll, type TestServer, testServer } from '../testing/test-server.test-helper.js';

const SCRIPT = fileURLToPath(new URL('./python-consul-acl.py', import.meta.url));
const python = pythonHasModule('consul');
const openssl = which('openssl') !== undefined;

type Who = 'none' | 'ordersRead' | 'ordersWrite' | 'management' | 'unknown';
const WHO: Who[] = ['none', 'ordersRead', 'ordersWrite', 'management', 'unknown'];
const SECRET: Record<Who, string | undefined> = {
  none: undefined,
  ordersRead: 'interop-orders-read-1',
  ordersWrite: 'interop-orders-write-2',
  management: 'interop-management-3',
  unknown: 'interop-nobody-has-4',
};
const acl = ordersAcl({ write: SECRET.ordersWrite!, read: SECRET.ordersRead!, management: SECRET.management! });

/** What a step gave: `ok` (a write done), a sorted list of ids or names (a read), or `denied` (403). */
type Outcome = 'ok' | 'denied' | string[];
type Steps = Record<string, Outcome>;

/** The expected outcome of every step, per identity (the ACL matrix's rules, applied to this data). */
function expected(who: Who): Steps {
  const mine = `orders-${who}`;
  const denied = (): Steps => ({
    register_orders: 'denied',
    register_billing: 'denied',
    catalog_services: [],
    catalog_service_orders_v2: [],
    health_orders: [],
    health_orders_tag_v1: [],
    health_orders_passing: [],
    health_billing: [],
    catalog_deregister_orders_1: 'denied',
  });
  switch (who) {
    case 'none':
      return denied();
    case 'unknown':
      // An unknown token is refused everywhere, reads included: 403 "ACL not found".
      return Object.fromEntries(Object.keys(denied()).map((k) => [k, 'denied']));
    case 'ordersRead':
      return {
        ...denied(),
        catalog_services: ['orders', 'orders-v2'],
        catalog_service_orders_v2: ['orders-v2-1'],
        health_orders: ['orders-1', 'orders-2'],
        health_orders_tag_v1: ['orders-1'],
        health_orders_passing: ['orders-1', 'orders-2'],
      };
    default: {
      const orders = ['orders-1', 'orders-2', mine].sort();
      return {
        register_orders: 'ok',
        register_billing: who === 'management' ? 'ok' : 'denied',
        catalog_services: who === 'management' ? ['billing', 'orders', 'orders-v2'] : ['orders'],
        catalog_service_orders_v2: who === 'management' ? ['orders-v2-1'] : [],
        health_orders: orders,
        health_orders_tag_v1: ['orders-1', mine].sort(),
        health_orders_passing: orders,
        health_billing: who === 'management' ? ['billing-1', `billing-${who}`] : [],
        // Deregistering one service from the catalog needs service:write on it (node:write only for the whole node).
        catalog_deregister_orders_1: 'ok',
      };
    }
  }
}

/** The 403 text a refused registration of `orders` carries for `who`. */
function deniedText(who: Who): RegExp {
  if (who === 'unknown') return /^ACL not found$/;
  if (who === 'none') return /^Permission denied: anonymous token lacks permission 'service:write' on "orders"\./;
  return /^Permission denied: token with AccessorID '[0-9a-f-]{36}' lacks permission 'service:write' on "orders"$/;
}

let certs: TestCertificates | undefined;
beforeAll(async () => {
  if (openssl) certs = await makeTestCertificates();
}, 60_000);
afterEach(closeAll);
afterAll(async () => {
  if (certs) await rm(certs.dir, { recursive: true, force: true });
});

/** A server with the ACLs and the seed data: orders-1 (v1), orders-2 (v2), orders-v2-1, billing-1. */
async function seeded(options: Partial<ServerOptions> = {}): Promise<{ t: TestServer; port: number }> {
  const t = testServer({ clock: systemClock, random: Math.random, acl, nodeName: 'node-a', ...options });
  const { port } = await t.server.listen();
  for (const [name, id, tags] of [
    ['orders', 'orders-1', ['v1']],
    ['orders', 'orders-2', ['v2']],
    ['orders-v2', 'orders-v2-1', []],
    ['billing', 'billing-1', []],
  ] as const) {
    const r = await t.req(
      'PUT',
      '/v1/agent/service/register',
      { ID: id, Name: name, Port: 80, Tags: tags },
      { 'x-consul-token': SECRET.management! },
    );
    expect(r.statusCode).toBe(200);
  }
  return { t, port };
}

const tlsOptions = (): Partial<ServerOptions> => {
  const c = certs as TestCertificates;
  return { tls: { certFile: c.certFile, keyFile: c.keyFile, caFile: c.caFile, verifyIncoming: true } };
};

describe('npm consul 2.0.1 with tokens', () => {
  async function drive(who: Who, port: number, secure = false): Promise<{ steps: Steps; messages: Record<string, string> }> {
    const c = certs;
    const consul = new Consul({
      host: '127.0.0.1',
      port,
      ...(secure && c
        ? {
            secure: true,
            agent: new https.Agent({
              ca: readFileSync(c.caFile),
              cert: readFileSync(c.clientCertFile),
              key: readFileSync(c.clientKeyFile),
            }),
          }
        : {}),
      ...(SECRET[who] === undefined ? {} : { defaults: { token: SECRET[who] } }),
    } as never);
    const steps: Steps = {};
    const messages: Record<string, string> = {};
    const step = async (name: string, run: () => Promise<Outcome>) => {
      try {
        steps[name] = await run();
      } catch (error) {
        const e = error as { response?: { statusCode?: number; body?: unknown }; message: string };
        if (e.response?.statusCode !== 403) throw error;
        steps[name] = 'denied';
        messages[name] = String(e.response.body);
      }
    };
    const ids = (entries: unknown) => (entries as { Service: { ID: string } }[]).map((e) => e.Service.ID).sort();
    await step('register_orders', async () => {
      await consul.agent.service.register({ name: 'orders', id: `orders-${who}`, port: 80, tags: ['v1'] });
      return 'ok';
    });
    await step('register_billing', async () => {
      await consul.agent.service.register({ name: 'billing', id: `billing-${who}`, port: 81 });
      return 'ok';
    });
    await step('catalog_services', async () => Object.keys((await consul.catalog.service.list()) as object).sort());
    await step('catalog_service_orders_v2', async () =>
      ((await consul.catalog.service.nodes('orders-v2')) as { ServiceID: string }[]).map((s) => s.ServiceID).sort(),
    );
    await step('health_orders', async () => ids(await consul.health.service('orders')));
    await step('health_orders_tag_v1', async () => ids(await consul.health.service({ service: 'orders', tag: 'v1' } as never)));
    await step('health_orders_passing', async () => ids(await consul.health.service({ service: 'orders', passing: true })));
    await step('health_billing', async () => ids(await consul.health.service('billing')));
    await step('catalog_deregister_orders_1', async () => {
      await consul.catalog.deregister({ node: 'node-a', serviceid: 'orders-1' } as never);
      return 'ok';
    });
    // ?filter= (go-bexpr) is applied after the ACL filter: only what the token may read, then the expression.
    await step('health_orders_filter_v1', async () =>
      ids(await consul.health.service({ service: 'orders', filter: 'Service.Tags contains "v1"' } as never)),
    );
    return { steps, messages };
  }

  it.each(WHO)("token %s: writes refused with Consul's texts, reads filtered", async (who) => {
    const { port } = await seeded();
    const { steps, messages } = await drive(who, port);
    const want = expected(who);
    const { health_orders_filter_v1: filtered, ...rest } = steps;
    expect(rest).toEqual(want);
    // The filter step ran after the catalog deregistration of orders-1 (by the write tokens).
    const v1 = want.health_orders_tag_v1 as Outcome;
    expect(filtered).toEqual(Array.isArray(v1) && want.catalog_deregister_orders_1 === 'ok' ? v1.filter((id) => id !== 'orders-1') : v1);
    if (want.register_orders === 'denied') expect(messages.register_orders).toMatch(deniedText(who));
  });

  it.runIf(openssl)('the same steps over mutual TLS with the write token', async () => {
    const { port } = await seeded(tlsOptions());
    const { steps } = await drive('ordersWrite', port, true);
    const { health_orders_filter_v1: _, ...rest } = steps;
    expect(rest).toEqual(expected('ordersWrite'));
  });
});

describe.runIf(python)('python-consul 0.7.1 with tokens', () => {
  /** Runs the script as `who`; the token travels in the environment, never on the command line. */
  function drive(who: Who, port: number, tls: string[] = []): Promise<Record<string, { ok?: unknown; error?: string; message?: string }>> {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!/^(CONSUL_|https?_proxy$|all_proxy$|no_proxy$)/i.test(k)) env[k] = v;
    env.NO_PROXY = '*';
    env.ROSTER_TEST_TOKEN = SECRET[who] ?? '';
    return new Promise((resolve, reject) => {
      execFile(SYSTEM_PYTHON, [SCRIPT, who, String(port), ...tls], { env, timeout: 60_000 }, (error, out, err) => {
        if (error) reject(new Error(`${who}: ${error.message}\n${err}`));
        else resolve(JSON.parse(out) as Record<string, { ok?: unknown; error?: string; message?: string }>);
      });
    });
  }
  const outcomes = (out: Record<string, { ok?: unknown; error?: string }>): Steps =>
    Object.fromEntries(
      Object.entries(out).map(([name, s]) => {
        if (s.error !== undefined) {
          expect(s.error, `${name}: ${JSON.stringify(s)}`).toBe('ACLPermissionDenied');
          return [name, 'denied'];
        }
        return [name, Array.isArray(s.ok) ? s.ok : 'ok'];
      }),
    );

  /**
   * python-consul 0.7.1 sends the token of catalog.deregister only inside the body
   * (`WriteRequest.Token`), which Consul ignores (the token comes from the header or the query):
   * the request is anonymous, so it is refused for every identity, with the anonymous text.
   */
  const expectedPython = (who: Who): Steps => ({ ...expected(who), catalog_deregister_orders_1: 'denied' });

  it.each(WHO)("token %s: writes refused with Consul's texts, reads filtered", async (who) => {
    const { port } = await seeded();
    const out = await drive(who, port);
    expect(outcomes(out)).toEqual(expectedPython(who));
    expect(out.catalog_deregister_orders_1?.message).toMatch(
      /Permission denied: anonymous token lacks permission 'service:write' on "orders"/,
    );
    if (out.register_orders?.error !== undefined) expect(out.register_orders.message).toMatch(deniedText(who));
  });

  it.runIf(openssl)('the same steps over mutual TLS with the write token (scheme https, verify=CA, cert=(cert, key))', async () => {
    const c = certs as TestCertificates;
    const { port } = await seeded(tlsOptions());
    const out = await drive('ordersWrite', port, [c.caFile, c.clientCertFile, c.clientKeyFile]);
    expect(outcomes(out)).toEqual(expectedPython('ordersWrite'));
  });
});
