/**
 * The check-target rules in the server: a link-local or metadata target (any spelling) is
 * refused with 400 naming the rule, on every way a check is registered, and nothing is written;
 * so is a target that is not the instance's own address (the node's for a node check) unless
 * `checkAllow` allows it. A name is decided at probe time, on what it resolves to: the check
 * turns critical naming the rule, and the listener it resolves to sees no connection. Loopback
 * only: 127.0.0.2 is "the instance", 127.0.0.1/127.0.0.3 "elsewhere". (Probe internals, names
 * and redirects: roster's health/target-guard.test.ts and target-policy.test.ts.)
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, testServer } from '../testing/test-server.test-helper.js';

afterEach(closeAll);

describe('check targets refused at registration', () => {
  it.each([
    [
      'HTTP',
      { HTTP: 'http://0xA9FEA9FE/latest/meta-data/', Interval: '10s' },
      /HTTP target refused: link-local addresses \(169\.254\.0\.0\/16\)/,
    ],
    ['HTTP', { HTTP: 'http://[::ffff:169.254.169.254]/', Interval: '10s' }, /HTTP target refused: link-local/],
    ['HTTP', { HTTP: 'http://100.100.100.200./', Interval: '10s' }, /HTTP target refused: cloud metadata address 100\.100\.100\.200/],
    ['TCP', { TCP: '[fe80::1]:22', Interval: '10s' }, /TCP target refused: link-local addresses \(fe80::\/10\)/],
    ['TCP', { TCP: '[fd00:ec2::254]:80', Interval: '10s' }, /TCP target refused: cloud metadata address fd00:ec2::254/],
    ['TCP', { TCP: '2852039166:80', Interval: '10s' }, /TCP target refused: link-local/],
  ])('%s %j → 400', async (_kind, check, text) => {
    const t = testServer();
    const before = t.server.index;
    const own = await t.req('PUT', '/v1/agent/check/register', { Name: 'c', ...check });
    expect(own.statusCode).toBe(400);
    expect(own.body).toMatch(text);
    const withService = await t.req('PUT', '/v1/agent/service/register', { Name: 'web', Port: 80, Check: check });
    expect(withService.statusCode).toBe(400);
    expect(withService.body).toMatch(text);
    expect(t.server.index).toBe(before);
  });

  it('loopback targets are still accepted', async () => {
    const t = testServer();
    const r = await t.req('PUT', '/v1/agent/service/register', {
      Name: 'web',
      Port: 80,
      Checks: [
        { HTTP: 'http://127.0.0.1:9/health', Interval: '10s' },
        { TCP: '[::1]:9', Interval: '10s' },
      ],
    });
    expect(r.statusCode).toBe(200);
  });
});

/** A listener on one loopback address that counts the connections it accepts. */
async function listener(host: string) {
  let accepted = 0;
  const server = http.createServer((_req, res) => res.end('ok'));
  server.on('connection', () => accepted++);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  listeners.push(server);
  return { port: (server.address() as AddressInfo).port, accepted: () => accepted };
}
const listeners: http.Server[] = [];
afterEach(async () => {
  await Promise.all(listeners.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

describe('own-address rule at registration', () => {
  it.each([
    ['HTTP', { HTTP: 'http://127.0.0.3:9/health', Interval: '10s' }, '127.0.0.3'],
    ['HTTP', { HTTP: 'http://0x7f000003:9/health', Interval: '10s' }, '127.0.0.3'],
    ['HTTP', { HTTP: 'http://[::1]:9/health', Interval: '10s' }, '::1'],
    ['TCP', { TCP: '127.0.0.1:9', Interval: '10s' }, '127.0.0.1'],
    ['TCP', { TCP: '[::ffff:127.0.0.3]:9', Interval: '10s' }, '127.0.0.3'],
  ])('%s %j for an instance on 127.0.0.2 → 400 naming the rule, nothing written', async (kind, check, shown) => {
    const t = testServer();
    const before = t.server.index;
    const r = await t.req('PUT', '/v1/agent/service/register', { Name: 'web', Address: '127.0.0.2', Port: 80, Check: check });
    expect(r.statusCode).toBe(400);
    expect(r.body).toBe(
      `Invalid check: ${kind} target refused: ${shown} is not the instance's own address (127.0.0.2) nor in the check allow-list (--check-allow, empty)`,
    );
    expect(t.server.index).toBe(before);
  });

  it('the own address in any spelling, an empty address (the node, 127.0.0.1) and names pass registration', async () => {
    const t = testServer();
    const ok = async (body: object) => expect((await t.req('PUT', '/v1/agent/service/register', body)).statusCode).toBe(200);
    await ok({
      Name: 'a',
      Address: '127.0.0.2',
      Port: 80,
      Checks: [
        { HTTP: 'http://2130706434:9/', Interval: '10s' },
        { TCP: '127.0.0.2:9', Interval: '10s' },
      ],
    });
    await ok({
      Name: 'b',
      Port: 80,
      Checks: [
        { HTTP: 'http://127.0.0.1:9/', Interval: '10s' },
        { TCP: 'localhost:9', Interval: '10s' },
      ],
    });
    await ok({ Name: 'c', Address: '::1', Port: 80, Check: { HTTP: 'http://[::1]:9/', Interval: '10s' } });
    // A name is decided where it resolves, at probe time.
    await ok({ Name: 'd', Address: '127.0.0.2', Port: 80, Check: { HTTP: 'http://db.test:9/', Interval: '10s' } });
  });

  it('a check registered on its own is held to its instance (or the node) address', async () => {
    const t = testServer();
    await t.req('PUT', '/v1/agent/service/register', { ID: 'web-1', Name: 'web', Address: '127.0.0.2', Port: 80 });
    const other = await t.req('PUT', '/v1/agent/check/register', { Name: 'c', ServiceID: 'web-1', TCP: '127.0.0.3:9', Interval: '10s' });
    expect(other.statusCode).toBe(400);
    expect(other.body).toMatch(/TCP target refused: 127\.0\.0\.3 is not the instance's own address \(127\.0\.0\.2\)/);
    const own = await t.req('PUT', '/v1/agent/check/register', { Name: 'c', ServiceID: 'web-1', TCP: '127.0.0.2:9', Interval: '10s' });
    expect(own.statusCode).toBe(200);
    const node = await t.req('PUT', '/v1/agent/check/register', { Name: 'n', TCP: '127.0.0.2:9', Interval: '10s' });
    expect(node.body).toMatch(/127\.0\.0\.2 is not the instance's own address \(127\.0\.0\.1\)/);
  });

  it('checkAllow widens it (CIDRs, addresses), never to link-local', async () => {
    const t = testServer({ checkAllow: ['127.0.0.0/29', '::1'] });
    const r = await t.req('PUT', '/v1/agent/service/register', {
      Name: 'web',
      Address: '127.0.0.2',
      Port: 80,
      Checks: [
        { HTTP: 'http://127.0.0.3:9/', Interval: '10s' },
        { TCP: '[::1]:9', Interval: '10s' },
      ],
    });
    expect(r.statusCode).toBe(200);
    const wide = testServer({ checkAllow: ['0.0.0.0/0'] });
    const meta = await wide.req('PUT', '/v1/agent/service/register', {
      Name: 'web',
      Port: 80,
      Check: { HTTP: 'http://169.254.169.254/', Interval: '10s' },
    });
    expect(meta.statusCode).toBe(400);
    expect(meta.body).toMatch(/link-local addresses \(169\.254\.0\.0\/16\) are never a check target/);
    expect(() => testServer({ checkAllow: ['10.0.0.0/40'] })).toThrow(/checkAllow\[0\]: "10\.0\.0\.0\/40": the prefix length must be 0-32/);
  });
});

describe('own-address rule at probe time', () => {
  it('a name resolving elsewhere turns the check critical naming the rule; the listener there sees 0 connections', async () => {
    const elsewhere = await listener('127.0.0.1');
    const t = testServer();
    const r = await t.req('PUT', '/v1/agent/service/register', {
      ID: 'web-1',
      Name: 'web',
      Address: '127.0.0.2',
      Port: 80,
      Checks: [
        { CheckID: 'h', HTTP: `http://localhost:${elsewhere.port}/health`, Interval: '10s' },
        { CheckID: 't', TCP: `localhost:${elsewhere.port}`, Interval: '10s' },
      ],
    });
    expect(r.statusCode).toBe(200);
    for (const id of ['h', 't']) {
      await t.server.runCheck(id);
      await t.clock.advance(0);
    }
    const checks = await t.get<Record<string, { Status: string; Output: string }>>('/v1/agent/checks');
    for (const id of ['h', 't']) {
      expect(checks[id]?.Status).toBe('critical');
      expect(checks[id]?.Output).toMatch(
        /check target localhost refused: (127\.0\.0\.1|::1) is not the instance's own address \(127\.0\.0\.2\)/,
      );
    }
    expect(elsewhere.accepted()).toBe(0);
  });

  it('an instance on 127.0.0.1 checked on 127.0.0.1 and localhost keeps working', async () => {
    const own = await listener('127.0.0.1');
    const t = testServer();
    await t.req('PUT', '/v1/agent/service/register', {
      ID: 'web-1',
      Name: 'web',
      Port: own.port,
      Checks: [
        { CheckID: 'h', HTTP: `http://127.0.0.1:${own.port}/health`, Interval: '10s' },
        { CheckID: 'l', HTTP: `http://localhost:${own.port}/health`, Interval: '10s' },
      ],
    });
    for (const id of ['h', 'l']) {
      await t.server.runCheck(id);
      await t.clock.advance(0);
    }
    const checks = await t.get<Record<string, { Status: string; Output: string }>>('/v1/agent/checks');
    expect(checks.h?.Status, checks.h?.Output).toBe('passing');
    expect(checks.l?.Status, checks.l?.Output).toBe('passing');
  });
});
