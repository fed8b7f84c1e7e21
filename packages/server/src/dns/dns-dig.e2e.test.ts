/**
 * The DNS interface end to end: a real roster serve (createServer) on free loopback ports,
 * services registered over its HTTP API, and the real `dig` asking over UDP and TCP.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../../../../test-support/system.js';
import { parseAclConfig } from '../acl/acl-config.js';
import { createServer, type RosterServer, type ServerOptions } from '../index.js';
import { dig } from '../testing/dig.test-helper.js';

interface Started {
  readonly server: RosterServer;
  readonly url: string;
  readonly dnsPort: number;
  readonly dir: string;
}

const started: Started[] = [];

async function start(options: Partial<ServerOptions> = {}): Promise<Started> {
  const dir = mkdtempSync(join(tmpdir(), 'roster-dns-'));
  const server = createServer({
    port: 0,
    dataDir: dir,
    logLevel: 'silent',
    sync: 'normal',
    nodeName: 'node-a',
    ...options,
    dns: { port: 0, ...options.dns },
  });
  const address = await server.listen();
  const s = { server, url: address.url, dnsPort: server.dnsAddress!.port, dir };
  started.push(s);
  return s;
}

async function put(s: Started, path: string, body?: unknown): Promise<void> {
  const response = await fetch(`${s.url}${path}`, { method: 'PUT', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  if (!response.ok) throw new Error(`PUT ${path}: ${response.status} ${await response.text()}`);
}

afterAll(async () => {
  for (const s of started.splice(0)) {
    await s.server.close();
    rmSync(s.dir, { recursive: true, force: true });
  }
});

describe.runIf(requireBinary('dig', 'dnsutils', 'DNS interface with dig'))('DNS interface, asked by dig', () => {
  let s: Started;
  beforeAll(async () => {
    s = await start();
    for (let i = 0; i < 3; i++) {
      await put(s, '/v1/agent/service/register', {
        Name: 'web',
        ID: `web-${i}`,
        Address: `127.0.1.${i + 1}`,
        Port: 8080 + i,
        Tags: i === 0 ? ['primary', 'V1'] : ['v1'],
        Weights: { Passing: 10 + i, Warning: 1 },
      });
    }
    await put(s, '/v1/agent/service/register', { Name: 'six', ID: 'six-1', Address: '::1', Port: 7000 });
    await put(s, '/v1/agent/service/register', { Name: 'onnode', ID: 'onnode-1', Port: 7100 });
  });

  it('A over UDP: one record per passing instance, owner as asked, TTL 0, flags qr aa rd (no ra)', async () => {
    const r = await dig(s.dnsPort, 'web.service.consul', 'A');
    expect(r.status).toBe('NOERROR');
    expect(r.flags).toEqual(['qr', 'aa', 'rd']);
    expect(r.answer.map((a) => a.data[0]).sort()).toEqual(['127.0.1.1', '127.0.1.2', '127.0.1.3']);
    expect(r.answer.every((a) => a.name === 'web.service.consul.' && a.type === 'A' && a.ttl === 0)).toBe(true);
    expect(r.ednsUdp).toBe(1232); // the requester's size echoed
    const mixed = await dig(s.dnsPort, 'WeB.SeRvIcE.dc1.CONSUL', 'A');
    expect(mixed.answer.map((a) => a.name)).toEqual(['WeB.SeRvIcE.dc1.CONSUL.', 'WeB.SeRvIcE.dc1.CONSUL.', 'WeB.SeRvIcE.dc1.CONSUL.']);
  });

  it('A over TCP answers the same', async () => {
    const r = await dig(s.dnsPort, '+tcp', 'web.service.consul', 'A');
    expect(r.status).toBe('NOERROR');
    expect(r.answer.map((a) => a.data[0]).sort()).toEqual(['127.0.1.1', '127.0.1.2', '127.0.1.3']);
  });

  it('AAAA: IPv6 instances only; A skips them; AAAA of an IPv4-only service is an empty NOERROR with the SOA', async () => {
    const six = await dig(s.dnsPort, 'six.service.consul', 'AAAA');
    expect(six.status).toBe('NOERROR');
    expect(six.answer).toEqual([{ name: 'six.service.consul.', ttl: 0, type: 'AAAA', data: ['::1'] }]);
    const sixA = await dig(s.dnsPort, 'six.service.consul', 'A');
    expect([sixA.status, sixA.answer.length, sixA.authority[0]?.type]).toEqual(['NOERROR', 0, 'SOA']);
    const webAAAA = await dig(s.dnsPort, 'web.service.consul', 'AAAA');
    expect([webAAAA.status, webAAAA.answer.length]).toEqual(['NOERROR', 0]);
    expect(webAAAA.authority[0]).toMatchObject({ name: 'consul.', type: 'SOA' });
    expect(webAAAA.authority[0]!.data.slice(0, 2)).toEqual(['ns.consul.', 'hostmaster.consul.']);
    expect(webAAAA.authority[0]!.data.slice(3)).toEqual(['3600', '600', '86400', '0']);
  });

  it('SRV (RFC 2782 and plain form): priority 1, the weight, the port, an .addr. target with its A record in the additional section', async () => {
    for (const name of ['_web._tcp.service.consul', 'web.service.consul', '_web._tcp.consul']) {
      const r = await dig(s.dnsPort, name, 'SRV');
      expect(r.status, name).toBe('NOERROR');
      const srv = r.answer.map((a) => a.data.join(' ')).sort();
      expect(srv).toEqual([
        '1 10 8080 7f000101.addr.dc1.consul.',
        '1 11 8081 7f000102.addr.dc1.consul.',
        '1 12 8082 7f000103.addr.dc1.consul.',
      ]);
      expect(r.additional.map((a) => `${a.name} ${a.type} ${a.data[0]}`).sort()).toEqual([
        '7f000101.addr.dc1.consul. A 127.0.1.1',
        '7f000102.addr.dc1.consul. A 127.0.1.2',
        '7f000103.addr.dc1.consul. A 127.0.1.3',
      ]);
    }
  });

  it('SRV of an instance without its own address targets the node, with the node address as glue; the target resolves', async () => {
    const r = await dig(s.dnsPort, 'onnode.service.consul', 'SRV');
    expect(r.answer.map((a) => a.data.join(' '))).toEqual(['1 1 7100 node-a.node.dc1.consul.']);
    expect(r.additional).toEqual([{ name: 'node-a.node.dc1.consul.', ttl: 0, type: 'A', data: ['127.0.0.1'] }]);
    const node = await dig(s.dnsPort, 'node-a.node.dc1.consul', 'A');
    expect(node.answer.map((a) => a.data[0])).toEqual(['127.0.0.1']);
    const addr = await dig(s.dnsPort, '7f000102.addr.dc1.consul', 'A');
    expect(addr.answer.map((a) => a.data[0])).toEqual(['127.0.1.2']);
  });

  it('tag filter: <tag>.<service>.service and _<service>._<tag>, case-insensitive', async () => {
    const primary = await dig(s.dnsPort, 'primary.web.service.consul', 'A');
    expect(primary.answer.map((a) => a.data[0])).toEqual(['127.0.1.1']);
    const v1 = await dig(s.dnsPort, 'v1.web.service.consul', 'A');
    expect(v1.answer.map((a) => a.data[0]).sort()).toEqual(['127.0.1.1', '127.0.1.2', '127.0.1.3']);
    const rfc = await dig(s.dnsPort, '_web._PRIMARY.service.consul', 'SRV');
    expect(rfc.answer.map((a) => a.data.join(' '))).toEqual(['1 10 8080 7f000101.addr.dc1.consul.']);
    const none = await dig(s.dnsPort, 'nosuchtag.web.service.consul', 'A');
    expect(none.status).toBe('NXDOMAIN');
  });

  it('NXDOMAIN with the SOA for an unknown service, node, datacenter or kind; REFUSED (no aa) outside the domain', async () => {
    for (const name of ['nosuch.service.consul', 'nosuch.node.consul', 'web.service.dc2.consul', 'service.consul', 'x.query.consul']) {
      const r = await dig(s.dnsPort, name, 'A');
      expect(r.status, name).toBe('NXDOMAIN');
      expect(r.flags, name).toContain('aa');
      expect(
        r.authority.map((a) => a.type),
        name,
      ).toEqual(['SOA']);
    }
    const outside = await dig(s.dnsPort, 'example.com', 'A');
    expect(outside.status).toBe('REFUSED');
    expect(outside.flags).toEqual(['qr', 'rd']);
    expect([outside.answer.length, outside.authority.length, outside.additional.length]).toEqual([0, 0, 0]);
  });

  it('answers are shuffled per query', async () => {
    const orders = new Set<string>();
    for (let i = 0; i < 12; i++) orders.add((await dig(s.dnsPort, 'web.service.consul', 'A')).answer.map((a) => a.data[0]).join(','));
    expect(orders.size).toBeGreaterThan(1);
  });

  it('health changes show in the next answer: critical never, warning counts as healthy, all critical is NXDOMAIN', async () => {
    for (const i of [1, 2]) {
      await put(s, '/v1/agent/service/register', {
        Name: 'api',
        ID: `api-${i}`,
        Address: `127.0.2.${i}`,
        Port: 9000,
        Weights: { Passing: 5, Warning: 2 },
        Check: { CheckID: `api-${i}-ttl`, TTL: '10m', Status: 'passing' },
      });
    }
    const addresses = async () => (await dig(s.dnsPort, 'api.service.consul', 'A')).answer.map((a) => a.data[0]).sort();
    expect(await addresses()).toEqual(['127.0.2.1', '127.0.2.2']);
    await put(s, '/v1/agent/check/fail/api-1-ttl');
    expect(await addresses()).toEqual(['127.0.2.2']);
    await put(s, '/v1/agent/check/warn/api-2-ttl');
    expect(await addresses()).toEqual(['127.0.2.2']);
    const srv = await dig(s.dnsPort, 'api.service.consul', 'SRV');
    expect(srv.answer.map((a) => a.data[1])).toEqual(['2']); // Weights.Warning while warning
    await put(s, '/v1/agent/check/fail/api-2-ttl');
    const none = await dig(s.dnsPort, 'api.service.consul', 'A');
    expect(none.status).toBe('NXDOMAIN');
    expect(none.authority.map((a) => a.type)).toEqual(['SOA']);
    await put(s, '/v1/agent/check/pass/api-1-ttl');
    expect(await addresses()).toEqual(['127.0.2.1']);
    await put(s, '/v1/agent/service/deregister/api-1');
    expect((await dig(s.dnsPort, 'api.service.consul', 'A')).status).toBe('NXDOMAIN');
  });

  it('node maintenance (a node check) takes every instance out', async () => {
    const other = await start();
    await put(other, '/v1/agent/service/register', { Name: 'm', ID: 'm-1', Address: '127.0.3.1', Port: 1 });
    expect((await dig(other.dnsPort, 'm.service.consul', 'A')).status).toBe('NOERROR');
    await put(other, '/v1/agent/maintenance?enable=true&reason=test');
    expect((await dig(other.dnsPort, 'm.service.consul', 'A')).status).toBe('NXDOMAIN');
  });
});

describe.runIf(requireBinary('dig', 'dnsutils', 'DNS truncation with dig'))('DNS truncation: 200 instances', () => {
  let s: Started;
  beforeAll(async () => {
    s = await start();
    for (let batch = 0; batch < 200; batch += 20) {
      await Promise.all(
        Array.from({ length: 20 }, (_, k) => {
          const i = batch + k;
          return put(s, '/v1/agent/service/register', {
            Name: 'big',
            ID: `big-${i}`,
            Address: `127.1.${i >> 8}.${i & 255}`,
            Port: 10_000 + i,
          });
        }),
      );
    }
  }, 120_000);

  it('UDP: trimmed to the EDNS0 size with TC set; dig retries over TCP and gets all 200', async () => {
    const udp = await dig(s.dnsPort, '+ignore', 'big.service.consul', 'SRV');
    expect(udp.flags).toContain('tc');
    expect(udp.answer.length).toBeGreaterThan(0);
    expect(udp.answer.length).toBeLessThan(200);
    // Every SRV kept still has its target's address.
    const glue = new Set(udp.additional.map((a) => a.name));
    expect(udp.answer.every((a) => glue.has(a.data[3]!))).toBe(true);
    const fallback = await dig(s.dnsPort, 'big.service.consul', 'SRV');
    expect(fallback.retriedOverTcp).toBe(true);
    expect(fallback.flags).not.toContain('tc');
    expect(fallback.answer).toHaveLength(200);
    expect(fallback.additional).toHaveLength(200);
    const tcp = await dig(s.dnsPort, '+tcp', 'big.service.consul', 'A');
    expect(new Set(tcp.answer.map((a) => a.data[0])).size).toBe(200);
  });

  it('a bigger EDNS0 buffer gets more answers over UDP; no EDNS0 gets at most 3 (Consul udp_answer_limit)', async () => {
    const small = await dig(s.dnsPort, '+ignore', 'big.service.consul', 'A');
    const large = await dig(s.dnsPort, '+ignore', '+bufsize=8192', 'big.service.consul', 'A');
    expect(large.answer.length).toBeGreaterThan(small.answer.length);
    expect(large.ednsUdp).toBe(8192);
    const plain = await dig(s.dnsPort, '+ignore', '+noedns', 'big.service.consul', 'A');
    expect(plain.answer).toHaveLength(3);
    expect(plain.flags).toContain('tc');
    expect(plain.ednsUdp).toBeUndefined();
  });
});

describe.runIf(requireBinary('dig', 'dnsutils', 'DNS options with dig'))('DNS options', () => {
  it('aRecordLimit caps A answers without TC; serviceTtl sets TTLs; weightedA keeps every instance; another domain', async () => {
    const s = await start({
      dns: { port: 0, aRecordLimit: 2, serviceTtl: { web: 30, 'we*': 20, '*': 5 }, weightedA: true, domain: 'roster.test' },
    });
    for (let i = 0; i < 4; i++)
      await put(s, '/v1/agent/service/register', { Name: 'web', ID: `w${i}`, Address: `127.0.4.${i + 1}`, Port: 80 });
    await put(s, '/v1/agent/service/register', { Name: 'west', ID: 'west', Address: '127.0.4.9', Port: 80 });
    await put(s, '/v1/agent/service/register', { Name: 'db', ID: 'db', Address: '127.0.4.10', Port: 80 });
    const a = await dig(s.dnsPort, 'web.service.roster.test', 'A');
    expect(a.answer).toHaveLength(2);
    expect(a.flags).not.toContain('tc');
    expect(a.answer.map((r) => r.ttl)).toEqual([30, 30]);
    const srv = await dig(s.dnsPort, 'web.service.roster.test', 'SRV');
    expect(srv.answer).toHaveLength(4); // the A cap does not apply to SRV
    expect((await dig(s.dnsPort, 'west.service.roster.test', 'A')).answer[0]!.ttl).toBe(20);
    expect((await dig(s.dnsPort, 'db.service.roster.test', 'A')).answer[0]!.ttl).toBe(5);
    expect((await dig(s.dnsPort, 'web.service.consul', 'A')).status).toBe('REFUSED');
  });

  it('weightedA: with a cap of 1, a heavier instance is answered in proportion to its weight', async () => {
    const s = await start({ dns: { port: 0, aRecordLimit: 1, weightedA: true } });
    await put(s, '/v1/agent/service/register', {
      Name: 'w',
      ID: 'heavy',
      Address: '127.0.5.1',
      Port: 80,
      Weights: { Passing: 9, Warning: 1 },
    });
    await put(s, '/v1/agent/service/register', {
      Name: 'w',
      ID: 'light',
      Address: '127.0.5.2',
      Port: 80,
      Weights: { Passing: 1, Warning: 1 },
    });
    let heavy = 0;
    const n = 60;
    for (let i = 0; i < n; i++) if ((await dig(s.dnsPort, 'w.service.consul', 'A')).answer[0]!.data[0] === '127.0.5.1') heavy++;
    // Expected 54 of 60 (p = 0.9); below 40 has probability < 1e-6.
    expect(heavy).toBeGreaterThanOrEqual(40);
  });
});

describe.runIf(requireBinary('dig', 'dnsutils', 'DNS with ACLs'))('DNS with ACLs on', () => {
  const WRITER = 'writer-token-0123456789abcdef0123456789';
  const READER = 'reader-token-0123456789abcdef0123456789';
  const acl = { defaultPolicy: 'deny' as const, tokens: { [WRITER]: 'write' as const, [READER]: 'read' as const } };

  async function registerWith(s: Started): Promise<void> {
    const response = await fetch(`${s.url}/v1/agent/service/register`, {
      method: 'PUT',
      headers: { 'X-Consul-Token': WRITER },
      body: JSON.stringify({ Name: 'secret', ID: 'secret-1', Address: '127.0.6.1', Port: 80 }),
    });
    expect(response.status).toBe(200);
  }

  it('answers only what the anonymous token may read: with default deny, nothing (NXDOMAIN, never REFUSED)', async () => {
    const s = await start({ acl });
    await registerWith(s);
    for (const [name, type] of [
      ['secret.service.consul', 'A'],
      ['_secret._tcp.service.consul', 'SRV'],
      ['node-a.node.consul', 'A'],
    ] as const) {
      const r = await dig(s.dnsPort, name, type);
      expect(r.status, name).toBe('NXDOMAIN');
      expect(r.authority.map((a) => a.type)).toEqual(['SOA']);
    }
  });

  it('with a DNS token that may read, the same names are answered', async () => {
    const s = await start({ acl, dns: { port: 0, token: READER } });
    await registerWith(s);
    expect((await dig(s.dnsPort, 'secret.service.consul', 'A')).answer.map((a) => a.data[0])).toEqual(['127.0.6.1']);
    expect((await dig(s.dnsPort, 'node-a.node.consul', 'A')).status).toBe('NOERROR');
  });

  it('per-service policies: the anonymous token sees the services its policy may read, and nothing else; a DNS token adds its own', async () => {
    const DNS_TOKEN = 'dns-token-0123456789abcdef0123456789ab';
    const config = parseAclConfig({
      default_policy: 'deny',
      policies: {
        'public-read': { service: { public: { policy: 'read' } }, node_prefix: { '': { policy: 'read' } } },
        'internal-read': { service_prefix: { internal: { policy: 'read' } }, node_prefix: { '': { policy: 'read' } } },
      },
      tokens: [
        { secret_id: WRITER, policies: ['global-management'] },
        { secret_id: DNS_TOKEN, policies: ['public-read', 'internal-read'] },
      ],
      anonymous_policies: ['public-read'],
    });
    const anonymous = await start({ acl: config });
    const withToken = await start({ acl: config, dns: { port: 0, token: DNS_TOKEN } });
    for (const s of [anonymous, withToken]) {
      for (const [name, address] of [
        ['public', '127.0.8.1'],
        ['internal-api', '127.0.8.2'],
        ['secret', '127.0.8.3'],
      ] as const) {
        const response = await fetch(`${s.url}/v1/agent/service/register`, {
          method: 'PUT',
          headers: { 'X-Consul-Token': WRITER },
          body: JSON.stringify({ Name: name, Address: address, Port: 80 }),
        });
        expect(response.status).toBe(200);
      }
    }
    const seen = async (s: Started, name: string) => (await dig(s.dnsPort, `${name}.service.consul`, 'A')).answer.map((a) => a.data[0]);
    expect(await seen(anonymous, 'public')).toEqual(['127.0.8.1']);
    expect((await dig(anonymous.dnsPort, 'internal-api.service.consul', 'A')).status).toBe('NXDOMAIN');
    expect((await dig(anonymous.dnsPort, 'secret.service.consul', 'SRV')).status).toBe('NXDOMAIN');
    expect(await seen(withToken, 'public')).toEqual(['127.0.8.1']);
    expect(await seen(withToken, 'internal-api')).toEqual(['127.0.8.2']);
    expect((await dig(withToken.dnsPort, 'secret.service.consul', 'A')).status).toBe('NXDOMAIN');
    // PTR answers are filtered the same way.
    expect((await dig(anonymous.dnsPort, '-x', '127.0.8.3')).status).toBe('NXDOMAIN');
    expect((await dig(anonymous.dnsPort, '-x', '127.0.8.1')).answer.map((a) => a.data[0])).toEqual(['public.service.dc1.consul.']);
  });

  it('an unknown DNS token is refused at start, naming dns.token', () => {
    const dir = mkdtempSync(join(tmpdir(), 'roster-dns-'));
    try {
      expect(() =>
        createServer({ port: 0, dataDir: dir, logLevel: 'silent', acl, dns: { port: 0, token: 'no-such-token-0123456789abcdef' } }),
      ).toThrow(/dns\.token/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
