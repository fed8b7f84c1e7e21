import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { HealthStatus } from '../model.js';
import { FakeClock } from '../testing/fake-clock.js';
import { type ActiveCheck, type CheckRunner, type CheckUpdate, PROBE_ABANDON_MS, startCheck } from './check-runner.js';
import { abortText, type Probe, type ProbeResult } from './probe.js';

const tcpCheck = (over: Partial<ActiveCheck> = {}): ActiveCheck =>
  ({
    kind: 'tcp',
    id: 'service:web-1',
    name: "Service 'web' check",
    status: 'critical',
    deregisterCriticalAfterMs: 0,
    successBeforePassing: 0,
    failuresBeforeWarning: 0,
    failuresBeforeCritical: 0,
    target: '127.0.0.1:1',
    intervalMs: 10_000,
    timeoutMs: 2_000,
    ...over,
  }) as ActiveCheck;

/** A probe whose results the test scripts; it records the time of every call. */
function scripted(clock: FakeClock, statuses: HealthStatus[]): Probe & { calls: number[] } {
  const calls: number[] = [];
  const probe = async (): Promise<ProbeResult> => {
    calls.push(clock.now());
    const status = statuses[Math.min(calls.length - 1, statuses.length - 1)] ?? 'passing';
    return { status, output: `run ${calls.length}: ${status}` };
  };
  return Object.assign(probe, { calls });
}

/** A probe that settles only when the test says so, or (like a good probe) when aborted. */
function controllable(): Probe & { calls: number; finish(result: ProbeResult): void } {
  let finish: (r: ProbeResult) => void = () => {};
  const probe = Object.assign(
    (signal: AbortSignal) =>
      new Promise<ProbeResult>((resolve) => {
        probe.calls++;
        finish = resolve;
        signal.addEventListener('abort', () => resolve({ status: 'critical', output: abortText(signal.reason) }), { once: true });
      }),
    { calls: 0, finish: (r: ProbeResult) => finish(r) },
  );
  return probe;
}

const runners: CheckRunner[] = [];
afterEach(() => {
  for (const r of runners.splice(0)) r.stop();
});

function start(clock: FakeClock, probe: Probe, check = tcpCheck(), random = () => 0.5) {
  const updates: CheckUpdate[] = [];
  const runner = startCheck({ check, clock, random, probe, onUpdate: (u) => updates.push(u) });
  runners.push(runner);
  return { runner, updates };
}

describe('startCheck schedule', () => {
  it('probes first after random × min(interval, 1 s), then one interval after each probe', async () => {
    const clock = new FakeClock(0);
    const probe = scripted(clock, ['passing']);
    start(clock, probe, tcpCheck({ intervalMs: 10_000 }), () => 0.25);
    await clock.advance(249);
    expect(probe.calls).toEqual([]);
    await clock.advance(1);
    expect(probe.calls).toEqual([250]);
    await clock.advance(30_000);
    expect(probe.calls).toEqual([250, 10_250, 20_250, 30_250]);
  });

  it.each([
    [0, 5_000, 0],
    [0.999_999_9, 5_000, 999],
    [0.5, 1_000, 500],
    [1, 1_000, 999], // a random() returning 1 is clamped below the bound
  ])('random %d with interval %d → first probe at %d ms', async (random, intervalMs, first) => {
    const clock = new FakeClock(0);
    const probe = scripted(clock, ['passing']);
    start(clock, probe, tcpCheck({ intervalMs }), () => random);
    await clock.advance(first);
    expect(probe.calls).toEqual([first]);
  });

  it('measures the interval from the end of a slow probe: probes never overlap', async () => {
    const clock = new FakeClock(0);
    const probe = controllable();
    start(clock, probe, tcpCheck({ intervalMs: 1_000, timeoutMs: 60_000 }), () => 0);
    await clock.advance(0);
    expect(probe.calls).toBe(1);
    await clock.advance(5_000); // five intervals while the probe is still running
    expect(probe.calls).toBe(1);
    probe.finish({ status: 'passing', output: 'ok' });
    await clock.advance(999);
    expect(probe.calls).toBe(1);
    await clock.advance(1);
    expect(probe.calls).toBe(2);
  });

  it('runNow probes at once, shares a probe in flight, and restarts the interval', async () => {
    const clock = new FakeClock(0);
    const probe = controllable();
    const { runner, updates } = start(clock, probe, tcpCheck({ intervalMs: 10_000, timeoutMs: 60_000 }));
    const first = runner.runNow();
    const second = runner.runNow();
    expect(probe.calls).toBe(1);
    await clock.advance(600); // past the random first delay: it was replaced by runNow
    expect(probe.calls).toBe(1);
    probe.finish({ status: 'passing', output: 'up' });
    expect(await first).toEqual({ status: 'passing', output: 'up', changed: true });
    expect(await second).toBe(await first);
    expect(updates).toHaveLength(1);
    await clock.advance(9_999);
    expect(probe.calls).toBe(1);
    await clock.advance(1);
    expect(probe.calls).toBe(2);
  });
});

describe('startCheck results', () => {
  it('applies thresholds and flags changes', async () => {
    const clock = new FakeClock(0);
    const probe = scripted(clock, ['passing', 'passing', 'critical', 'warning', 'passing', 'passing']);
    const { runner, updates } = start(clock, probe, tcpCheck({ successBeforePassing: 2, intervalMs: 1_000 }));
    await clock.advance(500 + 5 * 1_000);
    expect(updates).toEqual([
      { status: 'critical', output: 'run 1: passing', changed: false },
      { status: 'passing', output: 'run 2: passing', changed: true },
      { status: 'critical', output: 'run 3: critical', changed: true },
      { status: 'warning', output: 'run 4: warning', changed: true },
      { status: 'warning', output: 'run 5: passing', changed: false },
      { status: 'passing', output: 'run 6: passing', changed: true },
    ]);
    expect(runner.status).toBe('passing');
  });

  it('starts from initialStatus when given', async () => {
    const clock = new FakeClock(0);
    const updates: CheckUpdate[] = [];
    const probe = scripted(clock, ['passing']);
    runners.push(startCheck({ check: tcpCheck(), clock, probe, initialStatus: 'passing', onUpdate: (u) => updates.push(u) }));
    await clock.advance(1_000);
    expect(updates).toEqual([{ status: 'passing', output: 'run 1: passing', changed: false }]);
  });

  it('aborts a probe after the timeout, measured on the clock', async () => {
    const clock = new FakeClock(0);
    const probe = controllable();
    const { updates } = start(clock, probe, tcpCheck({ timeoutMs: 2_000 }), () => 0);
    await clock.advance(1_999);
    expect(updates).toEqual([]);
    await clock.advance(1);
    expect(updates).toEqual([{ status: 'critical', output: 'timed out after 2s', changed: false }]);
  });

  it('abandons a probe that ignores the abort, and goes on', async () => {
    const clock = new FakeClock(0);
    let calls = 0;
    const stuck: Probe = () => {
      calls++;
      return new Promise(() => {});
    };
    const { updates } = start(clock, stuck, tcpCheck({ timeoutMs: 2_000, intervalMs: 5_000, status: 'passing' }), () => 0);
    await clock.advance(2_000 + PROBE_ABANDON_MS);
    expect(updates).toEqual([{ status: 'critical', output: 'timed out after 2s (the probe did not stop when aborted)', changed: true }]);
    await clock.advance(5_000);
    expect(calls).toBe(2);
  });

  it.each([
    ['rejects', () => Promise.reject(new Error('kaboom')), 'kaboom'],
    [
      'throws',
      () => {
        throw new TypeError('sync kaboom');
      },
      'sync kaboom',
    ],
    [
      'returns garbage',
      () => Promise.resolve({ status: 'maintenance' } as unknown as ProbeResult),
      'the probe returned an invalid status: maintenance',
    ],
  ] as [string, Probe, string][])('a probe that %s counts as critical', async (_, probe, output) => {
    const clock = new FakeClock(0);
    const { runner } = start(clock, probe, tcpCheck({ status: 'passing' }));
    expect(await runner.runNow()).toEqual({ status: 'critical', output, changed: true });
  });
});

describe('startCheck stop', () => {
  it('aborts the probe in flight and delivers nothing after stop', async () => {
    const clock = new FakeClock(0);
    const probe = controllable();
    const { runner, updates } = start(clock, probe, tcpCheck({ timeoutMs: 60_000 }), () => 0);
    await clock.advance(0);
    const inFlight = runner.runNow();
    runner.stop();
    expect(await inFlight).toEqual({ status: 'critical', output: '', changed: false });
    await clock.advance(120_000);
    expect(updates).toEqual([]);
    expect(probe.calls).toBe(1);
    expect(clock.pending).toBe(0);
  });

  it('runNow after stop probes nothing', async () => {
    const clock = new FakeClock(0);
    const probe = scripted(clock, ['passing']);
    const { runner, updates } = start(clock, probe);
    await runner.runNow();
    runner.stop();
    runner.stop();
    expect(await runner.runNow()).toEqual({ status: 'passing', output: 'run 1: passing', changed: false });
    expect(probe.calls).toHaveLength(1);
    expect(updates).toHaveLength(1);
    expect(clock.pending).toBe(0);
  });
});

describe('startCheck with the built-in probe', () => {
  it('runs a TCP check against a real loopback listener', async () => {
    const server = net.createServer((s) => s.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const target = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
      const clock = new FakeClock(0);
      const updates: CheckUpdate[] = [];
      const runner = startCheck({ check: tcpCheck({ target }), clock, onUpdate: (u) => updates.push(u) });
      runners.push(runner);
      expect(await runner.runNow()).toEqual({ status: 'passing', output: `TCP connect ${target}: Success`, changed: true });
      expect(updates).toHaveLength(1);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it.each([
    [{ intervalMs: 0 }, 'check.intervalMs'],
    [{ timeoutMs: Number.POSITIVE_INFINITY }, 'check.timeoutMs'],
    [{ target: 'nonsense' }, 'target'],
    [{ failuresBeforeWarning: 2, failuresBeforeCritical: 1 }, 'failuresBeforeWarning'],
  ] as [Partial<ActiveCheck>, string][])('rejects %o naming %s', (over, field) => {
    expect(() => startCheck({ check: tcpCheck(over), onUpdate: () => {} })).toThrow(
      expect.objectContaining({ code: 'ROSTER_ERR_INVALID_ARGUMENT', field }),
    );
  });
});
