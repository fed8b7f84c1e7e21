// The soak of issue 18 (`npm run bench -- soak`): one roster serve (--sync full, a child process)
// under 1,000 TTL heartbeats/s, 1,000 watchers (blocking queries, one connection each) and 10
// registrations + 10 deregistrations/s for 10 minutes, loopback only. RSS, heap, open file
// descriptors and event-loop delay of the server are sampled every 10 s, printed, judged
// (flat RSS and descriptors after warm-up, loop delay p99 ≤ 50 ms, 0 errors) and plotted into
// docs/soak.svg. Exit code 1 when a criterion fails.
//
// Shorter or lighter runs: ROSTER_SOAK_SECONDS=120 npm run bench -- soak, or directly
//   node bench/soak.bench.mjs --seconds 120 [--heartbeats 1000] [--watchers 1000] [--churn 10]
//                             [--svg docs/soak.svg | --svg none]
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { startRoster } from './lib/procs.mjs';
import { FULL_LOAD, judgeSoak, runSoak, soakSvg } from './lib/soak.mjs';

const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
};
const seconds = Number(opt('seconds', process.env.ROSTER_SOAK_SECONDS ?? FULL_LOAD.seconds));
const heartbeatsPerSecond = Number(opt('heartbeats', FULL_LOAD.heartbeatsPerSecond));
const watchers = Number(opt('watchers', FULL_LOAD.watchers));
const churnPerSecond = Number(opt('churn', FULL_LOAD.churnPerSecond));
const svgPath = opt('svg', fileURLToPath(new URL('../docs/soak.svg', import.meta.url)));
for (const [k, v] of Object.entries({ seconds, heartbeatsPerSecond, watchers, churnPerSecond })) {
  if (!Number.isFinite(v) || v <= 0 || v > 100_000) throw new Error(`${k} must be a number in (0, 100000], got ${v}`);
}
if (seconds > 3600) throw new Error('seconds must be ≤ 3600');

const log = (line) => process.stderr.write(`${line}\n`);
const roster = await startRoster({ sync: 'full', name: 'roster (soak)' });
let result;
try {
  console.log(
    `- load: ${heartbeatsPerSecond} TTL heartbeats/s, ${watchers} watchers, ${churnPerSecond} registrations + ${churnPerSecond} deregistrations/s, ${seconds} s, roster serve --sync full`,
  );
  console.log(
    `- load average at start: ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} on ${os.cpus().length} cores\n`,
  );
  // Bounded: the soak stops itself after `seconds`; this is a backstop for a hung request.
  const backstop = AbortSignal.timeout((seconds + 120) * 1000);
  result = await runSoak({
    url: roster.url,
    pid: roster.pid,
    seconds,
    heartbeatsPerSecond,
    watchers,
    churnPerSecond,
    signal: backstop,
    log,
  });
} finally {
  await roster.stop();
}

const c = result.counts;
const verdict = judgeSoak(result);
const mib = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;
console.log('| t (s) | RSS | heap used | descriptors | loop delay p99 | heartbeats | reg / dereg | watcher wakes | errors |');
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const s of result.samples) {
  console.log(
    `| ${s.t.toFixed(0)} | ${mib(s.rss)} | ${mib(s.heapUsed)} | ${s.fds} | ${s.loopP99Ms.toFixed(1)} ms | ${s.heartbeats} | ${s.registrations} / ${s.deregistrations} | ${s.watcherWakes} | ${s.errors} |`,
  );
}
console.log(
  `\n- achieved: ${((c.heartbeats / result.seconds) | 0).toLocaleString('en')} heartbeats/s (${c.heartbeatsMissed} not sent: ${256} in flight), ${(c.registrations / result.seconds).toFixed(1)} registrations/s, ${(c.deregistrations / result.seconds).toFixed(1)} deregistrations/s, ${c.watcherAnswers.toLocaleString('en')} watcher answers (${c.watcherWakes.toLocaleString('en')} wakes on a new index)`,
);
if (result.errors.length > 0) console.log(`- first errors: ${result.errors.join(' | ')}`);
console.log('\n| criterion | measured | limit | met |\n|---|---:|---:|---|');
for (const k of verdict.checks) {
  const v = k.what.startsWith('errors')
    ? String(k.value)
    : k.what.includes('delay')
      ? `${k.value.toFixed(1)} ms`
      : `${(k.value * 100).toFixed(2)} %`;
  console.log(`| ${k.what} | ${v} | ${k.limit} | ${k.ok ? 'yes' : '**no**'} |`);
}
console.log(
  `\nPeaks: RSS ${mib(verdict.rss.peakBefore)} before the window, ${mib(verdict.rss.peakWindow)} in it; descriptors ${verdict.fds.peakBefore} and ${verdict.fds.peakWindow}. Over the window: least-squares trend RSS ${(verdict.rss.trend * 100).toFixed(2)} %, descriptors ${(verdict.fds.trend * 100).toFixed(2)} %; last vs first sample RSS ${mib(verdict.rss.from)} → ${mib(verdict.rss.to)}, descriptors ${verdict.fds.from} → ${verdict.fds.to}.`,
);
if (svgPath !== 'none') {
  writeFileSync(
    svgPath,
    soakSvg(result.samples, {
      title: `roster serve soak: ${heartbeatsPerSecond} heartbeats/s, ${watchers} watchers, ${churnPerSecond}+${churnPerSecond} reg/dereg/s, ${new Date().toISOString().slice(0, 10)}, load average ${os.loadavg()[0].toFixed(1)}`,
    }),
  );
  console.log(`\nchart: ${svgPath}`);
}
console.log(`\n**soak ${verdict.ok ? 'passed' : 'failed'}**`);
process.exitCode = verdict.ok ? 0 : 1;
