/**
 * Every `roster` command end to end: the built CLI as a child process against a real roster
 * serve over loopback (started in process), checking output, `--json` output and exit codes,
 * and the error cases (bad arguments, unknown service or check, registry down).
 * Tests use distinct service names, so they run concurrently.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type RosterServer } from '@rosterjs/server';
import { connect, type Registry, type Snapshot } from '@rosterjs/roster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from './exit-code.js';
import { type BackgroundCli, closedPort, runCli, startCli } from './test-support.js';

let dataDir = '';
let server: RosterServer;
let registry: Registry;
let url = '';
let downUrl = '';
const background: BackgroundCli[] = [];

/** `roster ...args --registry <the test server>`. */
const roster = (args: readonly string[], env: Record<string, string | undefined> = {}) => runCli([...args, '--registry', url], env);
const bg = (args: readonly string[]) => {
  const run = startCli([...args, '--registry', url]);
  background.push(run);
  return run;
};
const ids = (s: Snapshot) => s.instances.map((i) => i.id);

/**
 * Registers instances straight through the library (cheaper than a CLI run each), with a client
 * that is closed at once: nothing renews them afterwards, as after `roster register` without --ttl.
 * `ttlCheck` adds a TTL check (critical until passed) with that id.
 */
async function seed(service: string, instances: readonly { id: string; port: number; ttlCheck?: string }[]): Promise<void> {
  const client = connect(url);
  try {
    for (const { id, port, ttlCheck } of instances) {
      await client.register({
        service,
        id,
        address: '127.0.0.1',
        port,
        ...(ttlCheck === undefined ? {} : { checks: [{ kind: 'ttl', id: ttlCheck, ttl: '1m' }] }),
      });
    }
  } finally {
    await client.close();
  }
}
const ANSI = /\u001b\[/;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'roster-cli-'));
  server = createServer({ port: 0, dataDir, logLevel: 'silent', sync: 'normal' });
  const address = await server.listen();
  url = `consul://127.0.0.1:${address.port}`;
  downUrl = `consul://127.0.0.1:${await closedPort()}`;
  registry = connect(url);
});

afterAll(async () => {
  for (const run of background) if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
  await registry?.close();
  await server?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe.concurrent('roster CLI against roster serve', () => {
  it('--help lists every command with the exit codes; each command has an example', async () => {
    const top = await runCli(['--help']);
    expect(top.code).toBe(0);
    for (const name of ['serve', 'register', 'deregister', 'services', 'instances', 'watch', 'health', 'pass', 'warn', 'fail']) {
      expect(top.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    }
    expect(top.stdout).toContain('Exit codes: 0 ok, 1 failed, 2 usage error, 3 not found, 4 registry unreachable');
    const help = await runCli(['instances', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--registry <url>');
    expect(help.stdout).toMatch(/env:\s+ROSTER_REGISTRY\)/);
    expect(help.stdout).toContain('$ roster instances orders');
  });

  it('usage errors exit 2 and name what is wrong', async () => {
    const cases: [string[], RegExp][] = [
      [['frob'], /unknown command 'frob'/],
      [['register', 'web'], /required option '--port <port>' not specified/],
      [['register', 'web', '--port', '99999'], /'--port <port>' argument '99999' is invalid\. must be an integer 1-65535/],
      [['register', 'bad name', '--port', '80'], /roster register: <service>: "bad name" is not a valid service name/],
      [['instances', 'web', '--registry', 'foo://x'], /roster instances: --registry "foo:\/\/x": the scheme must be/],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args)));
    cases.forEach(([args, message], i) => {
      const r = results[i];
      expect(r?.code, args.join(' ')).toBe(ExitCode.Usage);
      expect(r?.stderr, args.join(' ')).toMatch(message);
      expect(r?.stderr).not.toMatch(/^\s+at /m);
    });
  });

  it('register (no --ttl) registers and exits; instances shows it as a table and as JSON', async () => {
    const flags = ['--address', '127.0.0.1', '--id', 'cat-1', '--tag', 'v1,blue', '--meta', 'version=1', '--weight', '3', '--zone', 'z1'];
    const reg = await roster(['register', 'cat', '--port', '8080', ...flags]);
    expect(reg).toMatchObject({ code: 0, stdout: 'registered cat/cat-1 at 127.0.0.1:8080\n' });
    await seed('cat', [{ id: 'cat-2', port: 8081, ttlCheck: 'cat-2-ttl' }]);

    const table = await roster(['instances', 'cat']);
    expect(table.code).toBe(0);
    expect(table.stdout).not.toMatch(ANSI);
    const lines = table.stdout.trimEnd().split('\n');
    // WHY: the failing check's output, shown because an instance is not passing.
    expect(lines[0]).toMatch(/^ID\s+ADDRESS\s+HEALTH\s+WEIGHT\s+ZONE\s+TAGS\s+META\s+WHY$/);
    expect(lines[1]).toMatch(/^cat-1\s+127\.0\.0\.1:8080\s+passing\s+3\s+z1\s+v1,blue\s+version=1\s+-$/);
    expect(lines[2]).toMatch(/^cat-2\s+127\.0\.0\.1:8081\s+critical\s+1\s+-\s+-\s+-\s+cat-2-ttl: \S.*$/);

    const json = await roster(['instances', 'cat', '--json']);
    const snapshot = JSON.parse(json.stdout) as Snapshot;
    expect(snapshot.service).toBe('cat');
    expect(snapshot.revision).toBeGreaterThan(0);
    expect(snapshot.instances).toEqual([
      {
        id: 'cat-1',
        service: 'cat',
        address: '127.0.0.1',
        port: 8080,
        tags: ['v1', 'blue'],
        meta: { version: '1' },
        weight: 3,
        zone: 'z1',
        health: 'passing',
      },
      expect.objectContaining({ id: 'cat-2', health: 'critical' }),
    ]);
    // And the registration really is in the registry.
    expect(ids(await registry.list('cat'))).toEqual(['cat-1', 'cat-2']);
  });

  it('instances colours health only when asked to (not a TTY here): FORCE_COLOR=1 on, NO_COLOR off', async () => {
    await seed('paint', [{ id: 'paint-1', port: 80 }]);
    const forced = await roster(['instances', 'paint'], { FORCE_COLOR: '1' });
    expect(forced.stdout).toContain('\u001b[32mpassing\u001b[39m');
    // Colour codes do not break the alignment.
    expect(forced.stdout.split('\n')[1]?.replace(/\u001b\[\d+m/g, '')).toMatch(/^paint-1\s+127\.0\.0\.1:80\s+passing\s+1/);
    expect((await roster(['instances', 'paint'], { NO_COLOR: '1' })).stdout).not.toMatch(ANSI);
  });

  it('instances of an unknown service: exit 3, a message, and [] in JSON', async () => {
    const r = await roster(['instances', 'nobody-here']);
    expect(r.code).toBe(ExitCode.NotFound);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('roster instances: no instances of service "nobody-here"');
    const json = await roster(['instances', 'nobody-here', '--json']);
    expect(json.code).toBe(ExitCode.NotFound);
    expect(JSON.parse(json.stdout)).toMatchObject({ service: 'nobody-here', instances: [] });
  });

  it('services lists services with health counts; --json parses', async () => {
    await seed('svc-a', [
      { id: 'a1', port: 1 },
      { id: 'a2', port: 2, ttlCheck: 'a2-ttl' },
    ]);
    await seed('svc-b', [{ id: 'b1', port: 3 }]);
    const table = await roster(['services']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^SERVICE\s+HEALTH\s+INSTANCES\s+PASSING\s+WARNING\s+CRITICAL$/m);
    expect(table.stdout).toMatch(/^svc-a\s+warning\s+2\s+1\s+0\s+1$/m);
    expect(table.stdout).toMatch(/^svc-b\s+passing\s+1\s+1\s+0\s+0$/m);
    const json = JSON.parse((await roster(['services', '--json'])).stdout) as { service: string }[];
    expect(json).toContainEqual({ service: 'svc-a', instances: 2, passing: 1, warning: 0, critical: 1 });
    expect(json).toContainEqual({ service: 'svc-b', instances: 1, passing: 1, warning: 0, critical: 0 });
    expect(json.map((s) => s.service)).toEqual([...json.map((s) => s.service)].sort());
  });

  it('health: 0 while some instance can serve, 5 when all are critical, 3 without instances', async () => {
    await seed('hl', [
      { id: 'hl-ok', port: 1 },
      { id: 'hl-bad', port: 2, ttlCheck: 'hl-bad-ttl' },
    ]);
    const degraded = await roster(['health', 'hl']);
    expect(degraded.code).toBe(ExitCode.Ok);
    expect(degraded.stdout).toMatch(/^hl: warning \(2 instances: 1 passing, 1 critical\)$/m);
    expect(degraded.stdout).toMatch(/^hl-bad\s+127\.0\.0\.1:2\s+critical\s+hl-bad-ttl: \S.*$/m);
    expect(degraded.stdout).not.toContain('hl-ok');
    expect(JSON.parse((await roster(['health', 'hl', '--json'])).stdout)).toEqual({
      service: 'hl',
      status: 'warning',
      passing: 1,
      warning: 0,
      critical: 1,
      instances: [
        { id: 'hl-bad', address: '127.0.0.1', port: 2, health: 'critical', reason: expect.stringMatching(/^hl-bad-ttl: \S/) },
        { id: 'hl-ok', address: '127.0.0.1', port: 1, health: 'passing' },
      ],
    });

    await seed('down', [{ id: 'down-1', port: 1, ttlCheck: 'down-1-ttl' }]);
    const dead = await roster(['health', 'down', '--json']);
    expect(dead.code).toBe(ExitCode.Unhealthy);
    expect(JSON.parse(dead.stdout)).toMatchObject({ status: 'critical', critical: 1 });

    const none = await roster(['health', 'no-such-service']);
    expect(none.code).toBe(ExitCode.NotFound);
    expect(none.stderr).toContain('no instances of service "no-such-service"');
  });

  it('deregister removes an instance (exit 0), then finds nothing (exit 3)', async () => {
    await seed('gone', [{ id: 'gone-1', port: 1 }]);
    const first = await roster(['deregister', 'gone', 'gone-1']);
    expect(first).toMatchObject({ code: 0, stdout: 'deregistered gone/gone-1\n' });
    expect(ids(await registry.list('gone'))).toEqual([]);
    const again = await roster(['deregister', 'gone', 'gone-1']);
    expect(again.code).toBe(ExitCode.NotFound);
    expect(again.stderr).toBe('roster deregister: no instance "gone-1" of service "gone"\n');
  });

  it('register --check-ttl prints the check id; pass / warn / fail set it; unknown or non-TTL checks fail clearly', async () => {
    const flags = ['--address', '127.0.0.1', '--id', 'job-1', '--check-ttl', '1m', '--check-id', 'job-ttl', '--json'];
    const reg = await roster(['register', 'job', '--port', '9', ...flags]);
    expect(JSON.parse(reg.stdout)).toMatchObject({
      registered: { id: 'job-1' },
      checks: [{ id: 'job-ttl', kind: 'ttl' }],
      held: false,
      ttl: null,
    });
    const health = async () => (await registry.list('job')).instances[0]?.health;
    expect(await health()).toBe('critical');

    const pass = await roster(['pass', 'job-ttl', '--note', 'all good']);
    expect(pass).toMatchObject({ code: 0, stdout: 'check job-ttl: passing (all good)\n' });
    expect(await health()).toBe('passing');
    expect((await roster(['fail', 'job-ttl'])).code).toBe(0);
    expect(await health()).toBe('critical');

    const unknown = await roster(['pass', 'no-such-check']);
    expect(unknown.code).toBe(ExitCode.NotFound);
    expect(unknown.stderr).toMatch(/^roster pass: no check "no-such-check"/);

    const httpFlags = ['--address', '127.0.0.1', '--id', 'web-h', '--http', '/health', '--interval', '1h'];
    const http = await roster(['register', 'web', '--port', '1', ...httpFlags]);
    expect(http.stdout).toContain('(checks: service:web-h (http http://127.0.0.1:1/health every 1h0m0s))');
    const notTtl = await roster(['pass', 'service:web-h']);
    expect(notTtl.code).toBe(ExitCode.Failure);
    expect(notTtl.stderr).toContain('check "service:web-h" is not a TTL check');

    const etcd = await runCli(['pass', 'job-ttl', '--registry', 'etcd://127.0.0.1:2379']);
    expect(etcd.code).toBe(ExitCode.Usage);
    expect(etcd.stderr).toContain('need a consul:// or http(s):// registry');
  });

  it('register --ttl holds the registration until SIGINT, then deregisters and exits 0', async () => {
    const run = bg(['register', 'held', '--port', '7000', '--address', '127.0.0.1', '--id', 'held-1', '--ttl', '2s']);
    await run.waitForOutput(/Ctrl-C deregisters/);
    expect(run.stdout()).toBe(
      'registered held/held-1 at 127.0.0.1:7000\nholding it with a 2s TTL, renewed every 667ms; Ctrl-C deregisters\n',
    );
    // Longer than the TTL: only the renewals keep it passing.
    await new Promise((r) => setTimeout(r, 2500));
    expect((await registry.list('held')).instances).toMatchObject([{ id: 'held-1', health: 'passing' }]);
    run.child.kill('SIGINT');
    const result = await run.done;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/deregistered held\/held-1\n$/);
    expect(ids(await registry.list('held'))).toEqual([]);
  });

  it('watch prints the state, then added / changed / removed, until SIGINT (human and --json)', async () => {
    await seed('live', [{ id: 'live-1', port: 1 }]);
    const human = bg(['watch', 'live']);
    const json = bg(['watch', 'live', '--json']);
    await human.waitForOutput(/live-1/);
    await json.waitForOutput(/"type":"snapshot"/);

    await seed('live', [{ id: 'live-2', port: 2, ttlCheck: 'live-2-ttl' }]);
    await json.waitForOutput(/"type":"added"/);
    await roster(['pass', 'live-2-ttl']);
    await json.waitForOutput(/"type":"changed"/);
    await registry.deregister('live', 'live-1');
    await json.waitForOutput(/"type":"removed"/);
    await human.waitForOutput(/- live-1/);

    for (const run of [human, json]) run.child.kill('SIGINT');
    const [h, j] = await Promise.all([human.done, json.done]);
    expect(h.code).toBe(0);
    expect(j.code).toBe(0);

    const lines = h.stdout
      .trimEnd()
      .split('\n')
      .map((l) => l.replace(/^\d\d:\d\d:\d\d {2}/, ''));
    expect(lines).toEqual([
      'live: 1 instance (1 passing)',
      '  live-1  127.0.0.1:1  passing',
      '+ live-2  127.0.0.1:2  critical',
      '~ live-2  health critical → passing',
      '- live-1  127.0.0.1:1',
    ]);
    const events = j.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.map((e) => e.type)).toEqual(['snapshot', 'added', 'changed', 'removed']);
    expect(events[0]).toMatchObject({ service: 'live', instances: [{ id: 'live-1' }] });
    expect(events[1]).toMatchObject({ instance: { id: 'live-2', health: 'critical' } });
    expect(events[2]).toMatchObject({ fields: ['health'], before: { health: 'critical' }, after: { id: 'live-2', health: 'passing' } });
    expect(events[3]).toMatchObject({ instance: { id: 'live-1' } });
    for (const e of events) expect(Number.isNaN(Date.parse(String(e.at)))).toBe(false);
  });

  it('registry down: every command says it cannot reach the registry and exits 4; --debug adds the stack', async () => {
    const commands = [
      ['instances', 'web'],
      ['register', 'web', '--port', '80', '--address', '127.0.0.1'],
      ['watch', 'web'],
      ['pass', 'some-check'],
    ];
    await Promise.all(
      commands.map(async (args) => {
        const r = await runCli(args, { ROSTER_REGISTRY: downUrl });
        expect(r.code, args.join(' ')).toBe(ExitCode.Unavailable);
        expect(r.stderr, args.join(' ')).toMatch(new RegExp(`^roster ${args[0]}: cannot reach the registry.*ECONNREFUSED`));
        expect(r.stderr, args.join(' ')).toContain('(is it running? choose it with --registry or ROSTER_REGISTRY)');
        expect(r.stderr).not.toMatch(/^\s+at /m);
      }),
    );
    const debug = await runCli(['instances', 'web', '--debug'], { ROSTER_REGISTRY: downUrl });
    expect(debug.code).toBe(ExitCode.Unavailable);
    expect(debug.stderr).toMatch(/^\s+at /m);
    expect(debug.stderr).toContain('caused by:');
  });
});
