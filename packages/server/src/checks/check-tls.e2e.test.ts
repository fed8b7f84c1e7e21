/**
 * roster serve applies the TLS fields of an HTTP check (TLSSkipVerify, TLSServerName) when it
 * probes: a self-signed https target on 127.0.0.1 is critical without TLSSkipVerify and passing
 * with it, and TLSServerName is the SNI the target sees. One probe per step (runCheck).
 */
import { rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { certificateWorkshop, type CertificateWorkshop } from '../../../../test-support/certificates.js';
import { requireBinary } from '../../../../test-support/system.js';
import { closeAll, type TestServer, testServer } from '../testing/test-server.test-helper.js';

const available = requireBinary('openssl', 'openssl', 'HTTP check TLS suite');

describe.runIf(available)('HTTP checks over TLS', () => {
  let shop: CertificateWorkshop;
  let target: https.Server;
  let url = '';
  const seen: string[] = [];

  beforeAll(async () => {
    shop = certificateWorkshop();
    const pair = shop.issue('self-signed', { san: 'IP:127.0.0.1' });
    target = https.createServer({ cert: pair.cert, key: pair.key }, (req, res) => {
      seen.push((req.socket as TLSSocket).servername || '-');
      res.end('ok');
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(target.address() as AddressInfo).port}/health`;
  }, 60_000);
  afterEach(closeAll);
  afterAll(() => {
    target?.close();
    if (shop) rmSync(shop.dir, { recursive: true, force: true });
  });

  async function statusAfterProbe(t: TestServer, check: Record<string, unknown>) {
    const reg = await t.req('PUT', '/v1/agent/service/register', {
      Name: 'web',
      ID: 'web-1',
      Address: '127.0.0.1',
      Port: 1,
      Check: { HTTP: url, Interval: '10s', ...check },
    });
    expect(reg.statusCode).toBe(200);
    await t.server.runCheck('service:web-1');
    await t.clock.advance(0);
    const checks = await t.get<Record<string, { Status: string; Output: string }>>('/v1/agent/checks');
    return checks['service:web-1'];
  }

  it('a self-signed target is critical without TLSSkipVerify', async () => {
    const check = await statusAfterProbe(testServer(), {});
    expect(check?.Status).toBe('critical');
    expect(check?.Output).toMatch(/self[- ]signed certificate/);
  });

  it('passes with TLSSkipVerify, and TLSServerName is the SNI the target sees', async () => {
    seen.length = 0;
    const check = await statusAfterProbe(testServer(), { TLSSkipVerify: true, TLSServerName: 'orders.internal' });
    expect(check).toMatchObject({ Status: 'passing', Output: `HTTP GET ${url}: 200 OK Output: ok` });
    expect(seen).toEqual(['orders.internal']);
  });
});
