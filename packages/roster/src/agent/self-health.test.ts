import { describe, expect, it } from 'vitest';
import type { HealthStatus } from '../model.js';
import { type AgentHealth, type HealthPart, SelfHealth } from './self-health.js';

function make(options: { fail?: Error; canReport?: () => boolean } = {}) {
  const reported: AgentHealth[] = [];
  const changes: AgentHealth[] = [];
  const failures: Error[] = [];
  const health = new SelfHealth({
    report: async (h) => {
      if (options.fail) throw options.fail;
      reported.push(h);
    },
    canReport: options.canReport ?? (() => true),
    onChange: (h) => changes.push(h),
    onReportFailed: (e) => failures.push(e),
  });
  return { health, reported, changes, failures };
}

describe('SelfHealth', () => {
  it.each<[string, [HealthPart, HealthStatus, string][], AgentHealth]>([
    ['nothing set', [], { status: 'passing', output: '' }],
    ['app passing with a note', [['app', 'passing', 'ok']], { status: 'passing', output: 'ok' }],
    ['lag warning', [['lag', 'warning', 'event loop lag 1200 ms']], { status: 'warning', output: 'event loop lag 1200 ms' }],
    [
      'worst wins, outputs of the failing parts in order drain, lag, app',
      [
        ['app', 'warning', 'cache cold'],
        ['lag', 'warning', 'event loop lag 1200 ms'],
        ['drain', 'critical', 'draining'],
      ],
      { status: 'critical', output: 'draining; event loop lag 1200 ms; cache cold' },
    ],
    [
      'a passing part says nothing while another fails',
      [
        ['app', 'passing', 'ok'],
        ['lag', 'warning', 'lag'],
      ],
      { status: 'warning', output: 'lag' },
    ],
    [
      'back to passing',
      [
        ['lag', 'warning', 'lag'],
        ['lag', 'passing', ''],
      ],
      { status: 'passing', output: '' },
    ],
  ])('%s', async (_name, steps, expected) => {
    const { health } = make();
    for (const [part, status, output] of steps) await health.set(part, status, output);
    expect(health.current).toEqual(expected);
  });

  it('reports only changes', async () => {
    const { health, reported, changes } = make();
    await health.set('lag', 'passing');
    await health.set('app', 'warning', 'x');
    await health.set('app', 'warning', 'x');
    await health.set('lag', 'passing');
    expect(reported).toEqual([{ status: 'warning', output: 'x' }]);
    expect(changes).toEqual(reported);
  });

  it('a failed report resolves with the error and tells onReportFailed; the health is kept', async () => {
    const down = new Error('down');
    const { health, failures } = make({ fail: down });
    expect(await health.set('drain', 'critical', 'draining')).toBe(down);
    expect(failures).toEqual([down]);
    expect(health.current).toEqual({ status: 'critical', output: 'draining' });
  });

  it('after the registration is gone for good, changes stay local', async () => {
    const { health, reported, changes } = make({ canReport: () => false });
    expect(await health.set('drain', 'critical', 'draining')).toBeUndefined();
    expect(reported).toEqual([]);
    expect(changes).toHaveLength(1);
  });
});
