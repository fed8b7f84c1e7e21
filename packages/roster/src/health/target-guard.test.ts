/**
 * The check-target guard: ≥ 50 spellings of link-local and metadata addresses are refused by the
 * HTTP and TCP probes with 0 sockets created (counted on node:net's `net.client.socket`
 * diagnostics channel), names resolving to them are refused at lookup time (injected resolver),
 * redirects to them are refused, and loopback stays allowed. No packet is sent anywhere but
 * 127.0.0.1: every refused target is refused before a socket exists.
 */
import diagnostics from 'node:diagnostics_channel';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpProbe } from './http-probe.js';
import { tcpProbe } from './tcp-probe.js';
import { type LookupFunction, normalizeHost, refusedAddress, refusedHost } from './target-guard.js';

const v4Spellings = (a: number, b: number, c: number, d: number): string[] => {
  const n = ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
  const hex = (x: number) => `0x${x.toString(16)}`;
  const oct = (x: number) => `0${x.toString(8)}`;
  const h = (x: number) => x.toString(16).padStart(2, '0');
  return [
    `${a}.${b}.${c}.${d}`,
    `${a}.${b}.${c}.${d}.`,
    String(n),
    hex(n),
    hex(n).toUpperCase().replace('0X', '0x'),
    [a, b, c, d].map(oct).join('.'),
    [a, b, c, d].map(hex).join('.'),
    `${a}.${b}.${(c << 8) + d}`,
    `${a}.${(b << 16) + (c << 8) + d}`,
    `${oct(a)}.${hex(b)}.${c}.${d}`,
    `[::ffff:${a}.${b}.${c}.${d}]`,
    `[::ffff:${h(a)}${h(b)}:${h(c)}${h(d)}]`,
    `[64:ff9b::${a}.${b}.${c}.${d}]`,
  ];
};

const SPELLINGS = [
  ...v4Spellings(169, 254, 169, 254),
  ...v4Spellings(169, 254, 0, 1),
  ...v4Spellings(169, 254, 255, 255),
  ...v4Spellings(100, 100, 100, 200),
  '%31%36%39.254.169.254',
  '[0:0:0:0:0:ffff:a9fe:a9fe]',
  '[::a9fe:a9fe]',
  '[fe80::1]',
  '[fe80::]',
  '[FE80::abcd:1234]',
  '[febf:ffff::1]',
  '[fe80:0:0:0:0:0:0:1]',
  '[fd00:ec2::254]',
  '[FD00:EC2:0:0:0:0:0:254]',
  '[fd00:ec2::0254]',
];

let sockets = 0;
const countSocket = () => {
  sockets++;
};
let server: http.Server;
let port = 0;
beforeAll(async () => {
  diagnostics.subscribe('net.client.socket', countSocket);
  server = http.createServer((req, res) => {
    if (req.url === '/to-metadata') {
      res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      return;
    }
    if (req.url === '/to-mapped') {
      res.writeHead(302, { location: 'http://[::ffff:a9fe:a9fe]/' }).end();
      return;
    }
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  diagnostics.unsubscribe('net.client.socket', countSocket);
  await new Promise((resolve) => server.close(resolve));
});

const signal = () => new AbortController().signal;

describe('check-target guard', () => {
  it(`has ≥ 50 spellings (${SPELLINGS.length})`, () => {
    expect(new Set(SPELLINGS).size).toBe(SPELLINGS.length);
    expect(SPELLINGS.length).toBeGreaterThanOrEqual(50);
  });

  it.each(SPELLINGS)('%s: refused by rule, by the HTTP and TCP probes, with 0 sockets', async (host) => {
    expect(refusedHost(host), `normalized to ${normalizeHost(host)}`).toMatch(/never a check target/);
    const before = sockets;
    const h = await httpProbe({ url: `http://${host}:80/latest/meta-data/`, timeoutMs: 2000 })(signal());
    expect(h.status).toBe('critical');
    expect(h.output).toMatch(/refused: .*never a check target/);
    const t = await tcpProbe({ target: `${host}:80`, timeoutMs: 2000 })(signal());
    expect(t.status).toBe('critical');
    expect(t.output).toMatch(/refused: .*never a check target/);
    expect(sockets - before).toBe(0);
  });

  it.each([
    '127.0.0.1',
    '::1',
    '10.0.0.1',
    '169.253.255.255',
    '169.255.0.0',
    'fec0::1',
    'fd00:ec2::253',
    '100.100.100.201',
    '::ffff:127.0.0.1',
  ])('%s is not refused by the always-on rules', (address) => {
    expect(refusedAddress(address)).toBeUndefined();
  });

  it('a name resolving to a refused address is refused at lookup time, before connecting', async () => {
    const looked: string[] = [];
    const resolve: LookupFunction = (hostname, _options, callback) => {
      looked.push(hostname);
      callback(null, [{ address: hostname.startsWith('v6') ? 'fe80::1' : '169.254.169.254', family: hostname.startsWith('v6') ? 6 : 4 }]);
    };
    let connected = 0;
    const onSocket = (message: unknown) => {
      (message as { socket: import('node:net').Socket }).socket.once('connect', () => connected++);
    };
    diagnostics.subscribe('net.client.socket', onSocket);
    try {
      for (const name of ['metadata.google.internal', 'metadata.example.', 'v6-link-local.example']) {
        const h = await httpProbe({ url: `http://${name}/`, timeoutMs: 2000, lookup: resolve })(signal());
        expect(h.status).toBe('critical');
        expect(h.output).toMatch(/refused: .*never a check target/);
        const t = await tcpProbe({ target: `${name}:80`, timeoutMs: 2000, lookup: resolve })(signal());
        expect(t.status).toBe('critical');
        expect(t.output).toMatch(/refused: .*never a check target/);
      }
    } finally {
      diagnostics.unsubscribe('net.client.socket', onSocket);
    }
    expect(looked.length).toBe(6);
    expect(connected).toBe(0);
  });

  it('loopback stays allowed; a redirect to a refused address is refused without a socket to it', async () => {
    expect((await httpProbe({ url: `http://127.0.0.1:${port}/`, timeoutMs: 5000 })(signal())).status).toBe('passing');
    expect((await tcpProbe({ target: `127.0.0.1:${port}`, timeoutMs: 5000 })(signal())).status).toBe('passing');
    for (const path of ['/to-metadata', '/to-mapped']) {
      const before = sockets;
      const r = await httpProbe({ url: `http://127.0.0.1:${port}${path}`, timeoutMs: 5000 })(signal());
      expect(r.status).toBe('critical');
      expect(r.output).toMatch(/refused: link-local addresses \(169\.254\.0\.0\/16\)/);
      // One socket: the first hop to 127.0.0.1; none for the redirect.
      expect(sockets - before).toBe(1);
    }
  });
});
