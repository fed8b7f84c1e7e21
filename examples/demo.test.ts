/**
 * `npm run demo`'s program end to end (from its build output, as `npm run demo` runs it), with
 * --auto: the live spread per instance, the failover and the deregistration of the stopped
 * instance, and nothing left running afterwards.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { type NodeProcess, spawnNode } from './node-process.js';

const DEMO = join(fileURLToPath(new URL('..', import.meta.url)), 'examples/dist/demo.js');
let demo: NodeProcess | undefined;

afterAll(async () => {
  await demo?.stop('SIGKILL');
});

it('npm run demo --auto: the spread per second, the failover and the deregistration, then everything stops', async () => {
  demo = spawnNode('demo', DEMO, ['--auto', '--after', '2', '--duration', '5', '--port', '0', '--rate', '10']);
  const exit = await demo.exited;
  const out = demo.lines.join('\n');
  expect(exit, `${out}\n${demo.stderr()}`).toEqual({ code: 0, signal: null });
  expect(out).toMatch(/^ {2}time +#1 +#2 +#3 +failed +retries/m);
  expect(out).toMatch(/demo: kill -TERM \d+ {3}\(#2, /);
  expect(out).toMatch(/registry: ~ #2 \(\S+\) passing → critical/);
  expect(out).toMatch(/registry: - #2 \(\S+\) deregistered/);
  expect(out).toMatch(/^calls answered: #1 \d+, #2 \d+, #3 \d+; 0 failed/m);
  // A row after the deregistration: #2 gets nothing, the others get the calls.
  expect(out).toMatch(/^ +\d+\.\ds +[1-9]\d* +- +[1-9]\d* +0 +\d+$/m);
  // Every process the demo started (pids printed at start) is gone.
  const pids = new Set([...out.matchAll(/pid (\d+)/g)].map((m) => Number(m[1])));
  expect(pids.size).toBe(5);
  for (const pid of pids) expect(() => process.kill(pid, 0), `pid ${pid}`).toThrow();
});
