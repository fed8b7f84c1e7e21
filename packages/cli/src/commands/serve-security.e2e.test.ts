/**
 * `roster serve` safe defaults through the real CLI (issue 14 (a)): a non-loopback --bind
 * without ACLs is refused (naming --acl-file and --insecure), --insecure warns at every start,
 * a secret on the command line is refused (saying where to put it), and an ACL file turns ACLs
 * on and is re-read on SIGHUP without dropping connections. Only 127.0.0.1 is ever contacted:
 * the non-loopback bind is refused before any socket exists, and the --insecure run binds
 * 0.0.0.0 but is only ever reached through 127.0.0.1. `--check-ca-file`: an https check of an
 * instance whose certificate comes from the operator's CA (openssl-made) passes.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { certificateWorkshop } from '../../../../test-support/certificates.js';
import { runCli, startCli, type BackgroundCli } from '../test-support.js';

const dir = mkdtempSync(join(tmpdir(), 'roster-serve-sec-'));
const started: BackgroundCli[] = [];
afterAll(async () => {
  for (const cli of started) if (cli.child.exitCode === null) cli.child.kill('SIGTERM');
  await Promise.all(started.map((c) => c.done));
  rmSync(dir, { recursive: true, force: true });
});

const dataDir = (name: string) => join(dir, name);
const aclFile = (name: string, config: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(config));
  chmodSync(path, 0o600);
  return path;
};
const start = (args: string[], env: Record<string, string> = {}) => {
  const cli = startCli(['serve', '--port', '0', '--sync', 'normal', '--log-level', 'warn', ...args], env);
  started.push(cli);
  return cli;
};
/** Polls `test` (25 ms) for up to 10 s; the expectation after it says what was missing. */
const until = async (test: () => boolean) => {
  const end = Date.now() + 10_000;
  while (!test() && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
};
const urlOf = (cli: BackgroundCli) => {
  const m = /listening on http:\/\/[^:]+:(\d+)/.exec(cli.stdout());
  return `http://127.0.0.1:${m![1]}`;
};

describe('roster serve safe defaults', () => {
  it.each(['0.0.0.0', '::', '10.1.2.3'])('refuses --bind %s without ACLs, naming --acl-file and --insecure', async (bind) => {
    const r = await runCli(['serve', '--bind', bind, '--port', '0', '--data-dir', dataDir(`refused-${bind}`)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--acl-file');
    expect(r.stderr).toContain('--insecure');
    expect(r.stderr).toContain(`refusing to listen on ${bind}`);
    expect(r.stdout).not.toContain('listening');
  });

  it('refuses a TLS certificate without its key, or a key alone, naming the missing flag', async () => {
    const cert = await runCli(['serve', '--port', '0', '--tls-cert-file', join(dir, 'c.pem'), '--data-dir', dataDir('tls-half')]);
    expect(cert.code).toBe(1);
    expect(cert.stderr).toContain('roster serve: --tls-cert-file needs --tls-key-file (ROSTER_TLS_KEY_FILE)');
    const key = await runCli(['serve', '--port', '0', '--data-dir', dataDir('tls-half')], { ROSTER_TLS_KEY_FILE: join(dir, 'k.pem') });
    expect(key.code).toBe(1);
    expect(key.stderr).toContain('roster serve: --tls-key-file needs --tls-cert-file (ROSTER_TLS_CERT_FILE)');
  });

  it('refuses the same through ROSTER_BIND', async () => {
    const r = await runCli(['serve', '--port', '0', '--data-dir', dataDir('refused-env')], { ROSTER_BIND: '0.0.0.0' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--acl-file.*--insecure/);
  });

  it('refuses a token given as an argument, saying where to put it, and never echoes it', async () => {
    for (const args of [['--acl-token', 'SuperSecret-1=write'], ['--acl-token=SuperSecret-1=write']]) {
      const r = await runCli(['serve', '--port', '0', '--data-dir', dataDir('argv-secret'), ...args]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('--acl-file');
      expect(r.stderr).toContain('ROSTER_ACL_TOKENS');
      expect(r.stderr + r.stdout).not.toContain('SuperSecret-1');
    }
  });

  it('--insecure starts on 0.0.0.0 and warns at every start', async () => {
    for (let i = 0; i < 2; i++) {
      const cli = start(['--bind', '0.0.0.0', '--insecure', '--data-dir', dataDir('insecure')]);
      await cli.waitForOutput(/listening on/);
      // stdout and stderr are separate pipes: wait for each rather than assume an order.
      await cli.waitForOutput(/"level":40.*INSECURE/);
      await until(() => /WARNING: --insecure: listening on 0\.0\.0\.0 without ACLs/.test(cli.stderr()));
      expect(cli.stderr()).toMatch(/WARNING: --insecure: listening on 0\.0\.0\.0 without ACLs/);
      const res = await fetch(`${urlOf(cli)}/v1/status/leader`);
      expect(res.status).toBe(200);
      cli.child.kill('SIGTERM');
      expect((await cli.done).code).toBe(0);
    }
  });

  it('an ACL file turns ACLs on (0.0.0.0 allowed), a bad one is refused naming the field, SIGHUP reloads without dropping connections', async () => {
    const bad = aclFile('bad.json', { policies: { p: { service: { web: { policy: 'list' } } } } });
    const refused = await runCli(['serve', '--acl-file', bad, '--port', '0', '--data-dir', dataDir('bad-acl')]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('acl.policies.p.service."web".policy');

    const file = aclFile('acl.json', {
      default_policy: 'deny',
      policies: { 'web-write': { service: { web: { policy: 'write' } } } },
      tokens: [{ secret_id: 'first-secret-0001', description: 'web', policies: ['web-write'] }],
    });
    // trace: every log line the server can write is written, and none may carry a secret.
    const cli = start(['--bind', '0.0.0.0', '--acl-file', file, '--data-dir', dataDir('acl'), '--log-level', 'trace']);
    await cli.waitForOutput(/listening on/);
    expect(cli.stderr()).not.toContain('INSECURE');
    const url = urlOf(cli);
    const register = (token: string) =>
      fetch(`${url}/v1/agent/service/register`, {
        method: 'PUT',
        headers: { 'X-Consul-Token': token },
        body: JSON.stringify({ Name: 'web' }),
      });
    expect((await register('first-secret-0001')).status).toBe(200);
    expect((await register('second-secret-0002')).status).toBe(403);

    // A blocking query held across the reload is answered, not dropped.
    const index = (await fetch(`${url}/v1/health/service/web?token=first-secret-0001`)).headers.get('x-consul-index');
    const held = fetch(`${url}/v1/health/service/web?index=${index}&wait=3s&token=first-secret-0001`);
    aclFile('acl.json', {
      default_policy: 'deny',
      policies: { 'web-write': { service: { web: { policy: 'write' } } } },
      tokens: [{ secret_id: 'second-secret-0002', policies: ['web-write'] }],
    });
    cli.child.kill('SIGHUP');
    await until(() => /reloaded/.test(cli.stderr()));
    expect(cli.stderr()).toContain('SIGHUP: reloaded');
    expect((await register('second-secret-0002')).status).toBe(200);
    expect((await register('first-secret-0001')).status).toBe(403);
    const answer = await held;
    expect(answer.status).toBe(200);

    // A broken file keeps the tables in force.
    writeFileSync(file, '{ not json');
    cli.child.kill('SIGHUP');
    await until(() => /kept the ACLs/.test(cli.stderr()));
    expect(cli.stderr()).toContain('kept the ACLs in force');
    expect((await register('second-secret-0002')).status).toBe(200);
    expect(cli.stderr() + cli.stdout()).not.toMatch(/first-secret|second-secret/);
    cli.child.kill('SIGTERM');
    expect((await cli.done).code).toBe(0);
  }, 60_000);

  it('--check-ca-file: an https check of a target with a certificate from that CA passes; a bad file is refused', async () => {
    const shop = certificateWorkshop();
    const target = https.createServer();
    try {
      const caFile = shop.issue('ca', { isCa: true }).certFile;
      const pair = shop.issue('instance', { ca: 'ca', san: 'IP:127.0.0.1' });
      target.setSecureContext({ cert: pair.cert, key: pair.key });
      target.on('request', (_req, res) => res.end('ok'));
      await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
      const checkUrl = `https://127.0.0.1:${(target.address() as AddressInfo).port}/health`;

      const refused = await runCli([
        'serve',
        '--port',
        '0',
        '--data-dir',
        dataDir('bad-check-ca'),
        '--check-ca-file',
        join(dir, 'nope.crt'),
      ]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/checkCaFile: cannot read .*nope\.crt/);

      const cli = start(['--data-dir', dataDir('check-ca'), '--check-ca-file', caFile]);
      await cli.waitForOutput(/listening on/);
      const url = urlOf(cli);
      const reg = await fetch(`${url}/v1/agent/service/register`, {
        method: 'PUT',
        body: JSON.stringify({ Name: 'web', ID: 'web-1', Address: '127.0.0.1', Port: 1, Check: { HTTP: checkUrl, Interval: '1s' } }),
      });
      expect(reg.status).toBe(200);
      let check: { Status?: string; Output?: string } = {};
      const end = Date.now() + 15_000;
      while (check.Status !== 'passing' && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 100));
        check = ((await (await fetch(`${url}/v1/agent/checks`)).json()) as Record<string, typeof check>)['service:web-1'] ?? {};
      }
      expect(check).toMatchObject({ Status: 'passing', Output: `HTTP GET ${checkUrl}: 200 OK Output: ok` });
      cli.child.kill('SIGHUP');
      await until(() => /reloaded the check CA/.test(cli.stderr()));
      expect(cli.stderr()).toContain(`SIGHUP: reloaded the check CA (${caFile})`);
      cli.child.kill('SIGTERM');
      expect((await cli.done).code).toBe(0);
    } finally {
      target.close();
      rmSync(shop.dir, { recursive: true, force: true });
    }
  }, 60_000);
});
