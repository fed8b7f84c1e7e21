/**
 * The HTTP probe against https servers on 127.0.0.1 with certificates made by openssl:
 * `tlsSkipVerify` (Consul's TLSSkipVerify) and `tlsServerName` (TLSServerName: the SNI sent and
 * the name the certificate is verified against).
 */
import { rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateWorkshop, type CertificateWorkshop, type IssuedCertificate } from '../../../../test-support/certificates.js';
import { requireBinary } from '../../../../test-support/system.js';
import { httpProbe, type HttpProbeSpec } from './http-probe.js';

const available = requireBinary('openssl', 'openssl', 'HTTP probe TLS suite');

describe.runIf(available)('httpProbe over TLS', () => {
  let shop: CertificateWorkshop;
  let ca: IssuedCertificate;
  const servers: https.Server[] = [];
  /** SNI names the servers saw, in order (`-` for none). */
  const seen: string[] = [];

  /** An https server on 127.0.0.1 with `pair`; answers 200 "ok". */
  async function serve(pair: IssuedCertificate): Promise<string> {
    const server = https.createServer({ cert: pair.cert, key: pair.key }, (req, res) => {
      seen.push((req.socket as TLSSocket).servername || '-');
      res.end('ok');
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `https://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
  }
  const run = (spec: Omit<HttpProbeSpec, 'timeoutMs'>) => httpProbe({ timeoutMs: 10_000, ...spec })(new AbortController().signal);

  beforeAll(() => {
    shop = certificateWorkshop();
    ca = shop.issue('ca', { isCa: true, days: 2 });
  }, 60_000);
  afterAll(() => {
    for (const s of servers) s.close();
    if (shop) rmSync(shop.dir, { recursive: true, force: true });
  });

  it('a self-signed server is critical without TLSSkipVerify and passing with it', async () => {
    const url = await serve(shop.issue('self-signed', { san: 'IP:127.0.0.1' }));
    const strict = await run({ url });
    expect(strict.status).toBe('critical');
    expect(strict.output).toMatch(/^Get "https:\/\/127\.0\.0\.1:\d+\/health": .*self[- ]signed certificate/);
    expect(await run({ url, tlsSkipVerify: false })).toMatchObject({ status: 'critical' });
    expect(await run({ url, tlsSkipVerify: true })).toEqual({ status: 'passing', output: `HTTP GET ${url}: 200 OK Output: ok` });
  });

  it('TLSServerName is sent as SNI; without it an IP target sends none', async () => {
    const url = await serve(shop.issue('sni', { san: 'IP:127.0.0.1', ca: 'ca' }));
    seen.length = 0;
    expect((await run({ url, tlsSkipVerify: true })).status).toBe('passing');
    expect((await run({ url, tlsSkipVerify: true, tlsServerName: 'orders.internal' })).status).toBe('passing');
    expect(seen).toEqual(['-', 'orders.internal']);
  });

  it('the certificate is verified against TLSServerName, not the URL host', async () => {
    const url = await serve(shop.issue('named', { san: 'DNS:orders.internal', ca: 'ca' }));
    const byHost = await run({ url, ca: ca.cert });
    expect(byHost.status).toBe('critical');
    expect(byHost.output).toMatch(/IP: 127\.0\.0\.1 is not in the cert's list|does not match certificate's altnames/);
    expect(await run({ url, ca: ca.cert, tlsServerName: 'orders.internal' })).toMatchObject({ status: 'passing' });
    const wrong = await run({ url, ca: ca.cert, tlsServerName: 'billing.internal' });
    expect(wrong.status).toBe('critical');
    expect(wrong.output).toMatch(/billing\.internal/);
    // A CA the probe does not trust fails before the name is looked at, whatever the name.
    expect((await run({ url, tlsServerName: 'orders.internal' })).status).toBe('critical');
  });

  it('an IP address as TLSServerName is verified against the IP SANs and not sent as SNI', async () => {
    const url = await serve(shop.issue('ip-only', { san: 'IP:127.0.0.2', ca: 'ca' }));
    seen.length = 0;
    expect((await run({ url, ca: ca.cert })).status).toBe('critical');
    expect((await run({ url, ca: ca.cert, tlsServerName: '127.0.0.2' })).status).toBe('passing');
    expect(seen).toEqual(['-']);
  });

  it('bad TLS options are refused at creation, naming the option', () => {
    const url = 'https://127.0.0.1:1/';
    expect(() => httpProbe({ url, timeoutMs: 1000, tlsSkipVerify: 'yes' as never })).toThrow(/tlsSkipVerify: must be true or false/);
    expect(() => httpProbe({ url, timeoutMs: 1000, tlsServerName: 'a\r\nb' })).toThrow(/tlsServerName: must be a host name/);
    expect(() => httpProbe({ url, timeoutMs: 1000, ca: 42 as never })).toThrow(/ca: must be PEM text/);
    expect(() => httpProbe({ url, timeoutMs: 1000, secureContext: {} as never })).toThrow(/secureContext: must be a function/);
    const both = { url, timeoutMs: 1000, ca: ca.cert, secureContext: () => undefined };
    expect(() => httpProbe(both)).toThrow(/secureContext: give ca or secureContext, not both/);
  });

  it('secureContext: the store is asked for at every run, so a swapped store applies to the next run', async () => {
    const url = await serve(shop.issue('store', { san: 'IP:127.0.0.1', ca: 'ca' }));
    const trust: { store?: tls.SecureContext } = {};
    const probe = httpProbe({ url, timeoutMs: 10_000, secureContext: () => trust.store });
    // Undefined: Node's default roots, which do not hold the test CA.
    expect((await probe(new AbortController().signal)).status).toBe('critical');
    trust.store = tls.createSecureContext({ ca: ca.cert });
    expect(await probe(new AbortController().signal)).toEqual({ status: 'passing', output: `HTTP GET ${url}: 200 OK Output: ok` });
  });
});
