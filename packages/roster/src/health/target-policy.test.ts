/**
 * The own-address rule and the operator's allow-list in the HTTP and TCP probes, over real
 * sockets on distinct loopback addresses: the instance lives on 127.0.0.2, another listener on
 * 127.0.0.3 stands for "somewhere else". Every refusal happens with 0 sockets to the refused
 * address (node:net's `net.client.socket` channel, each socket's remote address recorded at
 * connect); names are decided on their resolved addresses (injected resolver), redirects hop by
 * hop. No traffic leaves 127.0.0.0/8.
 */
import diagnostics from 'node:diagnostics_channel';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckAllowList } from './check-allow-list.js';
import { httpProbe } from './http-probe.js';
import { tcpProbe } from './tcp-probe.js';
import { canonicalAddress, type LookupFunction } from './target-guard.js';
import { ownAddressPolicy } from './target-policy.js';

const OWN = '127.0.0.2';
const OTHER = '127.0.0.3';

let created = 0;
const connectedTo: string[] = [];
const onSocket = (message: unknown) => {
  created++;
  const socket = (message as { socket: Socket }).socket;
  socket.once('connect', () => connectedTo.push(socket.remoteAddress ?? '?'));
};
const servers: http.Server[] = [];
const ports: Record<string, number> = {};

async function listen(host: string): Promise<number> {
  const server = http.createServer((req, res) => {
    const to = /^\/to\/(.+)$/.exec(req.url ?? '');
    if (to) return void res.writeHead(302, { location: decodeURIComponent(to[1]!) }).end();
    res.end(`hello from ${host}`);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  diagnostics.subscribe('net.client.socket', onSocket);
  ports[OWN] = await listen(OWN);
  ports[OTHER] = await listen(OTHER);
});
afterAll(async () => {
  diagnostics.unsubscribe('net.client.socket', onSocket);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

const signal = () => new AbortController().signal;
const policy = (allow: string[] = [], own = OWN) => ownAddressPolicy(() => own, new CheckAllowList(allow));
const resolver =
  (table: Record<string, string[]>): LookupFunction =>
  (hostname, _options, callback) =>
    callback(
      null,
      (table[hostname.toLowerCase().replace(/\.$/, '')] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
    );

/** Runs both probes and returns their results plus the sockets opened and where they connected. */
async function probeBoth(host: string, port: number, options: { allow?: string[]; own?: string; lookup?: LookupFunction } = {}) {
  const targets = policy(options.allow, options.own);
  const lookup = options.lookup === undefined ? {} : { lookup: options.lookup };
  const before = created;
  const from = connectedTo.length;
  const literal = host.includes(':') ? `[${host}]` : host;
  const h = await httpProbe({ url: `http://${literal}:${port}/`, timeoutMs: 5000, targets, ...lookup })(signal());
  const t = await tcpProbe({ target: `${literal}:${port}`, timeoutMs: 5000, targets, ...lookup })(signal());
  await new Promise((r) => setImmediate(r));
  return { h, t, sockets: created - before, connected: connectedTo.slice(from) };
}

describe('own-address rule', () => {
  it.each([OWN, '0x7f000002', '2130706434', '0177.0.0.2', '127.2', '::ffff:127.0.0.2', '::ffff:7f00:2'])(
    'the own address spelled %s is allowed',
    async (host) => {
      const r = await probeBoth(host, ports[OWN]!);
      expect(r.h.status, r.h.output).toBe('passing');
      expect(r.h.output).toContain(`hello from ${OWN}`);
      expect(r.t.status, r.t.output).toBe('passing');
      expect(r.connected.every((a) => canonicalAddress(a) === OWN)).toBe(true);
    },
  );

  it.each([OTHER, '0x7f000003', '2130706435', '127.3', '::ffff:127.0.0.3', '127.0.0.1', '::1', '0.0.0.0', '10.0.0.1'])(
    '%s is refused with the rule named, 0 sockets',
    async (host) => {
      const r = await probeBoth(host, ports[OTHER]!);
      for (const result of [r.h, r.t]) {
        expect(result.status).toBe('critical');
        expect(result.output).toMatch(
          /refused: .* is not the instance's own address \(127\.0\.0\.2\) nor in the check allow-list \(--check-allow, empty\)/,
        );
      }
      expect(r.sockets).toBe(0);
    },
  );

  it('a name is decided on what it resolves to: other → refused with 0 sockets; own among others → only own is connected', async () => {
    const lookup = resolver({ 'elsewhere.test': [OTHER], 'mixed.test': [OTHER, OWN], 'mine.test': [OWN] });
    const elsewhere = await probeBoth('elsewhere.test', ports[OTHER]!, { lookup });
    expect(elsewhere.h.output).toMatch(/check target elsewhere\.test refused: 127\.0\.0\.3 is not the instance's own address/);
    expect(elsewhere.t.output).toMatch(/check target elsewhere\.test refused/);
    expect(elsewhere.connected).toEqual([]);
    const mixed = await probeBoth('mixed.test', ports[OWN]!, { lookup });
    expect(mixed.h.status, mixed.h.output).toBe('passing');
    expect(mixed.t.status, mixed.t.output).toBe('passing');
    expect(mixed.connected).toEqual([OWN, OWN]);
    const mine = await probeBoth('mine.test', ports[OWN]!, { lookup });
    expect([mine.h.status, mine.t.status]).toEqual(['passing', 'passing']);
  });

  it('an instance registered as localhost (or with no address) may be checked on 127.0.0.1 and ::1, and by that name', async () => {
    const local = await listen('127.0.0.1');
    for (const own of ['localhost', '']) {
      expect((await probeBoth('127.0.0.1', local, { own })).h.status).toBe('passing');
      expect((await probeBoth('localhost', local, { own, lookup: resolver({ localhost: ['127.0.0.1'] }) })).t.status).toBe('passing');
      const other = await probeBoth(OWN, ports[OWN]!, { own });
      expect(other.h.status).toBe('critical');
      expect(other.sockets).toBe(0);
    }
  });

  it('an instance registered by name may be checked by that name', async () => {
    const lookup = resolver({ 'web-1.test': [OWN], 'db.test': [OTHER] });
    const r = await probeBoth('WEB-1.test.', ports[OWN]!, { own: 'web-1.test', lookup });
    expect([r.h.status, r.t.status]).toEqual(['passing', 'passing']);
    const db = await probeBoth('db.test', ports[OTHER]!, { own: 'web-1.test', lookup });
    expect([db.h.status, db.t.status]).toEqual(['critical', 'critical']);
    expect(db.connected).toEqual([]); // a name's socket object exists before its lookup; it never connects
    // The literal address of a name-registered instance is not "own" (the name is what it registered).
    const literal = await probeBoth(OWN, ports[OWN]!, { own: 'web-1.test' });
    expect(literal.sockets).toBe(0);
  });
});

describe('allow-list', () => {
  it('a CIDR or an address widens the rule; a name entry allows the name whatever it resolves to', async () => {
    for (const allow of [['127.0.0.3/32'], ['127.0.0.0/30'], [OTHER], ['::ffff:127.0.0.3']]) {
      const r = await probeBoth(OTHER, ports[OTHER]!, { allow });
      expect([r.h.status, r.t.status], `${allow}`).toEqual(['passing', 'passing']);
    }
    const lookup = resolver({ 'db.internal': [OTHER], 'a.svc.internal': [OTHER], 'svc.internal': [OTHER] });
    const named = await probeBoth('db.internal', ports[OTHER]!, { allow: ['db.internal', '*.svc.internal'], lookup });
    expect([named.h.status, named.t.status]).toEqual(['passing', 'passing']);
    const suffix = await probeBoth('a.svc.internal', ports[OTHER]!, { allow: ['*.svc.internal'], lookup });
    expect([suffix.h.status, suffix.t.status]).toEqual(['passing', 'passing']);
    const bare = await probeBoth('svc.internal', ports[OTHER]!, { allow: ['*.svc.internal'], lookup });
    expect(bare.h.status).toBe('critical');
    expect(bare.connected).toEqual([]);
    const narrow = await probeBoth(OTHER, ports[OTHER]!, { allow: ['127.0.0.4/32', '10.0.0.0/8'] });
    expect(narrow.h.output).toContain('(--check-allow: 127.0.0.4/32,10.0.0.0/8)');
    expect(narrow.sockets).toBe(0);
  });

  it('never widens the always-on rules: an allowed name resolving to link-local is refused, 0 sockets', async () => {
    const lookup = resolver({ 'meta.internal': ['169.254.169.254'] });
    const r = await probeBoth('meta.internal', 80, { allow: ['meta.internal', '0.0.0.0/0', '169.254.0.0/16'], lookup });
    expect(r.h.output).toMatch(/link-local addresses \(169\.254\.0\.0\/16\) are never a check target/);
    expect(r.t.output).toMatch(/link-local addresses/);
    expect(r.connected).toEqual([]);
    const literal = await probeBoth('169.254.169.254', 80, { allow: ['169.254.0.0/16'] });
    expect(literal.sockets).toBe(0);
  });

  it.each([
    ['10.0.0.0/33', /prefix length must be 0-32/],
    ['fd00::/129', /prefix length must be 0-128/],
    ['10.0.0.0/x', /prefix length/],
    ['http://db', /is not a CIDR/],
    ['db internal', /is not a CIDR/],
    ['*', /is not a CIDR/],
    ['a..b', /is not a CIDR/],
  ])('entry %s is refused naming it', (entry, text) => {
    expect(() => new CheckAllowList(['10.0.0.0/8', entry])).toThrow(text);
    try {
      new CheckAllowList(['10.0.0.0/8', entry]);
    } catch (error) {
      expect((error as { field?: string }).field).toBe('checkAllow[1]');
    }
  });
});

describe('redirects', () => {
  it('are followed only to allowed targets; a refused hop opens no socket', async () => {
    const to = (url: string) => `http://${OWN}:${ports[OWN]}/to/${encodeURIComponent(url)}`;
    const before = created;
    const from = connectedTo.length;
    const away = await httpProbe({ url: to(`http://${OTHER}:${ports[OTHER]}/`), timeoutMs: 5000, targets: policy() })(signal());
    expect(away.status).toBe('critical');
    expect(away.output).toMatch(
      /^Get "http:\/\/127\.0\.0\.3:\d+\/": check target 127\.0\.0\.3 refused: 127\.0\.0\.3 is not the instance's own address/,
    );
    expect(created - before).toBe(1);
    expect(connectedTo.slice(from)).toEqual([OWN]);
    const home = await httpProbe({ url: to(`http://${OWN}:${ports[OWN]}/`), timeoutMs: 5000, targets: policy() })(signal());
    expect(home.status).toBe('passing');
    const allowed = await httpProbe({ url: to(`http://${OTHER}:${ports[OTHER]}/`), timeoutMs: 5000, targets: policy([OTHER]) })(signal());
    expect(allowed.status).toBe('passing');
    expect(allowed.output).toContain(`hello from ${OTHER}`);
  });
});
