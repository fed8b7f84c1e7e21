/**
 * The CA of https HTTP checks (D177), over real sockets with openssl-made certificates: a target
 * on 127.0.0.1 holding a certificate from the operator's private CA passes when the server runs
 * TLS with that CA (the default) or is given it as `checkCaFile`, and is critical with
 * `checkCaFile: false` or without TLS; a target from another CA stays critical; the check CA is
 * re-read on reload; an unreadable or certificate-less file is refused naming `checkCaFile`.
 * One probe per step (runCheck).
 */
import { copyFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { InvalidArgumentError } from '@rosterjs/roster';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { certificateWorkshop, type CertificateWorkshop, type IssuedCertificate } from '../../../../test-support/certificates.js';
import { requireBinary } from '../../../../test-support/system.js';
import { closeAll, type TestServer, testServer } from '../testing/test-server.test-helper.js';
import type { ServerOptions } from '../options.js';

const available = requireBinary('openssl', 'openssl', 'check CA suite');

describe.runIf(available)('the CA of https checks', () => {
  let shop: CertificateWorkshop;
  let serverPair: IssuedCertificate;
  let caFile = '';
  let otherCaFile = '';
  const targets: https.Server[] = [];
  let privateUrl = '';
  let foreignUrl = '';

  async function target(pair: IssuedCertificate): Promise<string> {
    const t = https.createServer({ cert: pair.cert, key: pair.key }, (_req, res) => res.end('ok'));
    targets.push(t);
    await new Promise<void>((resolve) => t.listen(0, '127.0.0.1', resolve));
    return `https://127.0.0.1:${(t.address() as AddressInfo).port}/health`;
  }

  beforeAll(async () => {
    shop = certificateWorkshop();
    caFile = shop.issue('ca', { isCa: true }).certFile;
    otherCaFile = shop.issue('other-ca', { isCa: true }).certFile;
    serverPair = shop.issue('roster', { ca: 'ca', san: 'IP:127.0.0.1' });
    privateUrl = await target(shop.issue('instance', { ca: 'ca', san: 'IP:127.0.0.1' }));
    foreignUrl = await target(shop.issue('foreign', { ca: 'other-ca', san: 'IP:127.0.0.1' }));
  }, 60_000);
  afterEach(closeAll);
  afterAll(() => {
    for (const t of targets) t.close();
    if (shop) rmSync(shop.dir, { recursive: true, force: true });
  });

  const tlsOn = (): ServerOptions['tls'] => ({ certFile: serverPair.certFile, keyFile: serverPair.keyFile, caFile });

  async function probe(t: TestServer, url: string) {
    const reg = await t.req('PUT', '/v1/agent/service/register', {
      Name: 'web',
      ID: 'web-1',
      Address: '127.0.0.1',
      Port: 1,
      Check: { HTTP: url, Interval: '10s' },
    });
    expect(reg.statusCode).toBe(200);
    await t.server.runCheck('service:web-1');
    await t.clock.advance(0);
    const checks = await t.get<Record<string, { Status: string; Output: string }>>('/v1/agent/checks');
    return checks['service:web-1'];
  }

  it('TLS on with a CA: a target with a certificate from that CA passes (the default)', async () => {
    const t = testServer({ tls: tlsOn() });
    expect(t.server.options.checkCaFile).toBe(caFile);
    expect(await probe(t, privateUrl)).toMatchObject({ Status: 'passing', Output: `HTTP GET ${privateUrl}: 200 OK Output: ok` });
  });

  it('checkCaFile: false turns the default off: the same target is critical, as it is without TLS', async () => {
    const off = await probe(testServer({ tls: tlsOn(), checkCaFile: false }), privateUrl);
    expect(off?.Status).toBe('critical');
    expect(off?.Output).toMatch(/unable to verify the first certificate|unable to get local issuer certificate/);
    await closeAll();
    const plain = testServer();
    expect(plain.server.options.checkCaFile).toBeUndefined();
    expect((await probe(plain, privateUrl))?.Status).toBe('critical');
  });

  it('checkCaFile without TLS on the API: the target passes', async () => {
    expect((await probe(testServer({ checkCaFile: caFile }), privateUrl))?.Status).toBe('passing');
  });

  it('a target with a certificate from another CA stays critical', async () => {
    const check = await probe(testServer({ tls: tlsOn() }), foreignUrl);
    expect(check?.Status).toBe('critical');
    expect(check?.Output).toMatch(/unable to verify the first certificate|unable to get local issuer certificate/);
  });

  it('the check CA file is read again on reload({ tls: true })', async () => {
    const live = join(shop.dir, 'live-check-ca.crt');
    copyFileSync(otherCaFile, live);
    const t = testServer({ checkCaFile: live });
    expect((await probe(t, privateUrl))?.Status).toBe('critical');
    copyFileSync(caFile, live);
    t.server.reload({ tls: true });
    await t.server.runCheck('service:web-1');
    await t.clock.advance(0);
    const checks = await t.get<Record<string, { Status: string }>>('/v1/agent/checks');
    expect(checks['service:web-1']?.Status).toBe('passing');
  });

  it('an unreadable or certificate-less check CA file is refused naming checkCaFile', () => {
    const notPem = join(shop.dir, 'not-a-ca.txt');
    writeFileSync(notPem, 'hello\n');
    for (const [file, why] of [
      [join(shop.dir, 'missing.crt'), /cannot read .*missing\.crt: ENOENT/],
      [notPem, /holds no PEM certificate/],
    ] as const) {
      let caught: unknown;
      try {
        testServer({ checkCaFile: file });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(InvalidArgumentError);
      expect(String((caught as Error).message)).toMatch(/checkCaFile/);
      expect(String((caught as Error).message)).toMatch(why);
    }
  });
});
