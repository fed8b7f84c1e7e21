// Summarizes a V8 .cpuprofile (node --cpu-prof): self time by function and by component
// (roster server, fastify, pino, better-sqlite3, undici, node internals, GC, idle…), optionally
// only over time windows the benchmark marked (the profile's timestamps and
// process.hrtime.bigint() are the same monotonic clock, in µs).
// CLI: node bench/lib/cpuprofile.mjs <file.cpuprofile> [top]
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** Windows of interest, recorded by {@link marked} when `enabled`. */
export const windows = { enabled: false, list: [] };

const nowUs = () => Number(process.hrtime.bigint() / 1000n);

/** Runs `fn`, recording its time window under `label` (when windows are enabled). */
export async function marked(label, fn) {
  if (!windows.enabled) return fn();
  const start = nowUs();
  try {
    return await fn();
  } finally {
    windows.list.push({ label, start, end: nowUs() });
  }
}

/** Records a window that started at `startUs` (from {@link markStart}) and ends now. */
export function markEnd(label, startUs) {
  if (windows.enabled) windows.list.push({ label, start: startUs, end: nowUs() });
}

/** Start of a window for {@link markEnd}. */
export const markStart = () => (windows.enabled ? nowUs() : 0);

/** The component a call frame belongs to. */
function component(frame) {
  const url = frame.url ?? '';
  const name = frame.functionName;
  if (name === '(garbage collector)') return 'GC';
  if (name === '(idle)') return 'idle';
  if (name === '(program)') return '(program: native, not JS)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1];
  const pkg = /packages\/([^/]+)\/dist\/(?:([^/]+)\/)?/.exec(url);
  if (pkg) return `roster ${pkg[1]}${pkg[2] && !pkg[2].endsWith('.js') ? `/${pkg[2]}` : ''}`;
  if (url.startsWith('node:internal/')) return `node:internal/${url.slice(14).split('/')[0].replace(/\.js$/, '')}`;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  if (url === '') return '(native / builtins)';
  return url;
}

/**
 * Self time per function and per component, in ms, sorted; `total` includes idle. With `within`
 * (a list of {start, end} in µs), only samples inside one of those windows count.
 */
export function summarizeProfile(profile, top = 20, within) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const ws = within ? [...within].sort((a, b) => a.start - b.start) : undefined;
  // A sample that comes late (the process was descheduled: the machine is shared) would charge
  // the off-CPU time to whatever function ran: cap each sample at twice the usual interval.
  const sortedDeltas = profile.timeDeltas.filter((d) => d > 0).sort((x, y) => x - y);
  const cap = 2 * (sortedDeltas[sortedDeltas.length >> 1] ?? 1000);
  let w = 0;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    const dtUs = Math.min(profile.timeDeltas[i] ?? 0, cap);
    if (ws) {
      while (w < ws.length && ws[w].end < t) w++;
      if (w >= ws.length || ws[w].start > t) continue;
    }
    self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + dtUs / 1000);
  }
  const fns = new Map();
  const comps = new Map();
  let total = 0;
  let idle = 0;
  for (const [id, ms] of self) {
    const { callFrame } = byId.get(id);
    total += ms;
    if (callFrame.functionName === '(idle)') idle += ms;
    const where = callFrame.url ? `${callFrame.url.replace(/^.*\/(node_modules|packages)\//, '$1/')}:${callFrame.lineNumber + 1}` : '';
    const key = `${callFrame.functionName || '(anonymous)'} ${where}`.trim();
    fns.set(key, (fns.get(key) ?? 0) + ms);
    const c = component(callFrame);
    comps.set(c, (comps.get(c) ?? 0) + ms);
  }
  const sorted = (m) => [...m].sort((a, b) => b[1] - a[1]);
  return { total, busy: total - idle, functions: sorted(fns).slice(0, top), components: sorted(comps) };
}

/** Markdown tables of a summary (shares of busy time, idle excluded). */
export function profileTables(summary) {
  const pct = (ms) => `${((100 * ms) / summary.busy).toFixed(1)} %`;
  const comp = summary.components.filter(([c]) => c !== 'idle').map(([c, ms]) => `| ${c} | ${ms.toFixed(0)} | ${pct(ms)} |`);
  const fn = summary.functions.filter(([f]) => !f.startsWith('(idle)')).map(([f, ms]) => `| \`${f}\` | ${ms.toFixed(0)} | ${pct(ms)} |`);
  return [
    `busy ${summary.busy.toFixed(0)} ms of ${summary.total.toFixed(0)} ms sampled`,
    '',
    '| component | self ms | share of busy |',
    '| --- | --- | --- |',
    ...comp,
    '',
    '| function (self time) | self ms | share of busy |',
    '| --- | --- | --- |',
    ...fn,
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node bench/lib/cpuprofile.mjs <file.cpuprofile> [top]');
    process.exit(2);
  }
  console.log(profileTables(summarizeProfile(JSON.parse(readFileSync(file, 'utf8')), Number(process.argv[3] ?? 25))));
}
