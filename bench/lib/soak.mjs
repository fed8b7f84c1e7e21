// The soak load and its judgement, shared by bench/soak.bench.mjs (10 minutes at full load) and
// the 60-second CI test (packages/server/src/soak.e2e.test.ts). Drives one running roster serve
// over real loopback sockets with three bounded loops at fixed rates (open loop, bounded in
// flight): TTL heartbeats, blocking-query watchers (one connection each), and registrations plus
// deregistrations. Every 10 s it samples the server process: RSS and open descriptors from
// /proc/<pid>, heap and event-loop delay from the server's own Prometheus metrics (prom-client's
// monitorEventLoopDelay histogram, reset at every scrape, so each sample covers its 10 s).
import { setMaxListeners } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Pool } from 'undici';

/** prom-client samples the loop with a 10 ms timer; its numbers include that interval. */
export const EVENT_LOOP_RESOLUTION_MS = 10;

/** The full soak of issue 18. */
export const FULL_LOAD = Object.freeze({
  seconds: 600,
  services: 100,
  heartbeatsPerSecond: 1000,
  watchers: 1000,
  churnPerSecond: 10,
  sampleEveryMs: 10_000,
});

/** VmRSS of a process in bytes. */
export function rssOf(pid) {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

/** Open file descriptors of a process (entries of /proc/<pid>/fd). */
export function fdsOf(pid) {
  return readdirSync(`/proc/${pid}/fd`).length;
}

async function request(dispatcher, method, path, body, signal) {
  const res = await dispatcher.request({ method, path, body, signal });
  const text = await res.body.text();
  if (res.statusCode < 200 || res.statusCode > 299) {
    throw new Error(`${method} ${path}: HTTP ${res.statusCode} ${text.slice(0, 200)}`);
  }
  return { headers: res.headers, text };
}

function registration(service, id, ttl, status) {
  return JSON.stringify({
    Name: service,
    ID: id,
    Address: '127.0.0.1',
    Port: 20_000 + (Number(/\d+$/.exec(id)?.[0] ?? 0) % 40_000),
    Tags: ['soak', 'v1'],
    Meta: { zone: 'z1', owner: 'soak' },
    Check: { CheckID: `${id}:ttl`, Name: 'ttl', TTL: ttl, Status: status },
  });
}

function metricValue(text, name) {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

/**
 * Runs the soak against the server at `url` (process `pid`) and returns the samples and counts.
 * Everything it starts it stops before returning, also when `signal` aborts or a loop throws.
 * `log` receives one line per sample.
 */
export async function runSoak({
  url,
  pid,
  seconds = FULL_LOAD.seconds,
  services = FULL_LOAD.services,
  heartbeatsPerSecond = FULL_LOAD.heartbeatsPerSecond,
  watchers = FULL_LOAD.watchers,
  churnPerSecond = FULL_LOAD.churnPerSecond,
  sampleEveryMs = FULL_LOAD.sampleEveryMs,
  heartbeatConnections = 16,
  maxHeartbeatsInFlight = 256,
  signal,
  log = () => {},
}) {
  const stop = new AbortController();
  setMaxListeners(0, stop.signal); // every request in flight listens to it
  const onOuterAbort = () => stop.abort();
  signal?.addEventListener('abort', onOuterAbort, { once: true });
  const counts = {
    heartbeats: 0,
    heartbeatsMissed: 0,
    registrations: 0,
    deregistrations: 0,
    watcherAnswers: 0,
    watcherWakes: 0,
    errors: 0,
  };
  const errors = [];
  const fail = (error) => {
    if (stop.signal.aborted) return; // requests cut by the stop are not errors
    counts.errors++;
    if (errors.length < 10) errors.push(String(error?.message ?? error));
  };
  const hb = new Pool(url, { connections: heartbeatConnections, pipelining: 1, keepAliveTimeout: 60_000 });
  const churn = new Pool(url, { connections: 4, pipelining: 1, keepAliveTimeout: 60_000 });
  const metrics = new Client(url, { keepAliveTimeout: 60_000 });
  const watcherClients = [];
  const loops = [];
  const samples = [];
  const service = (i) => `soak-${i % services}`;
  try {
    // The fleet that heartbeats: one instance with one TTL check per heartbeat a second.
    const fleet = heartbeatsPerSecond;
    const checkIds = [];
    for (let from = 0; from < fleet; from += 64) {
      const batch = [];
      for (let i = from; i < Math.min(fleet, from + 64); i++) {
        const id = `soak-hb-${i}`;
        checkIds.push(encodeURIComponent(`${id}:ttl`));
        batch.push(request(hb, 'PUT', '/v1/agent/service/register', registration(service(i), id, '60s', 'passing')));
      }
      await Promise.all(batch);
    }
    log(`soak: ${fleet} instances with a TTL check registered over ${services} services`);

    const t0 = performance.now();
    const endAt = t0 + seconds * 1000;
    const remaining = () => Math.max(0, endAt - performance.now());

    // Watchers: one connection each, a blocking query on one service, re-issued with the new index.
    for (let w = 0; w < watchers; w++) {
      const client = new Client(url, { keepAliveTimeout: 120_000, headersTimeout: 0, bodyTimeout: 0 });
      watcherClients.push(client);
      const path = `/v1/health/service/${service(w)}`;
      loops.push(
        (async () => {
          let index = 0;
          while (!stop.signal.aborted && remaining() > 0) {
            try {
              const res = await request(client, 'GET', `${path}?index=${index}&wait=30s`, undefined, stop.signal);
              counts.watcherAnswers++;
              const next = Number(res.headers['x-consul-index']);
              if (!(next > 0)) throw new Error(`GET ${path}: no X-Consul-Index`);
              if (next !== index && index !== 0) counts.watcherWakes++;
              index = next < index ? 0 : next; // Consul's rule: an index that goes back restarts
            } catch (error) {
              fail(error);
              if (!stop.signal.aborted) await sleep(1000, undefined, { signal: stop.signal }).catch(() => {});
            }
          }
        })(),
      );
    }

    // Heartbeats at a fixed rate (token bucket ticked every 10 ms), bounded in flight.
    loops.push(
      (async () => {
        let inFlight = 0;
        let next = 0;
        let issued = 0;
        const start = performance.now();
        while (!stop.signal.aborted && remaining() > 0) {
          const due = Math.floor(((performance.now() - start) * heartbeatsPerSecond) / 1000);
          while (issued < due) {
            issued++;
            if (inFlight >= maxHeartbeatsInFlight) {
              counts.heartbeatsMissed++;
              continue;
            }
            inFlight++;
            const id = checkIds[next];
            next = (next + 1) % checkIds.length;
            request(hb, 'PUT', `/v1/agent/check/pass/${id}`, undefined, stop.signal)
              .then(() => counts.heartbeats++, fail)
              .finally(() => inFlight--);
          }
          await sleep(10);
        }
        while (inFlight > 0) await sleep(10);
      })(),
    );

    // Churn: every 1/rate s one registration and (once the queue is full) one deregistration;
    // each churned instance lives ~10 s.
    loops.push(
      (async () => {
        const live = [];
        const keep = Math.max(1, churnPerSecond * 10);
        let seq = 0;
        const start = performance.now();
        let done = 0;
        while (!stop.signal.aborted && remaining() > 0) {
          const due = Math.floor(((performance.now() - start) * churnPerSecond) / 1000);
          const ops = [];
          while (done < due) {
            done++;
            const id = `soak-churn-${seq++}`;
            ops.push(
              request(churn, 'PUT', '/v1/agent/service/register', registration(service(seq), id, '30s', 'passing'), stop.signal).then(
                () => {
                  counts.registrations++;
                  live.push(id);
                },
                fail,
              ),
            );
            if (live.length >= keep) {
              const old = live.shift();
              ops.push(
                request(churn, 'PUT', `/v1/agent/service/deregister/${old}`, undefined, stop.signal).then(
                  () => counts.deregistrations++,
                  fail,
                ),
              );
            }
          }
          await Promise.all(ops);
          await sleep(20);
        }
      })(),
    );

    // Samples of the server process every sampleEveryMs (and one at the end).
    const sample = async () => {
      const t = (performance.now() - t0) / 1000;
      let text = '';
      try {
        text = (await request(metrics, 'GET', '/v1/agent/metrics?format=prometheus')).text;
      } catch (error) {
        fail(error);
      }
      const s = {
        t,
        rss: rssOf(pid),
        fds: fdsOf(pid),
        heapUsed: metricValue(text, 'nodejs_heap_size_used_bytes'),
        loopP99Ms: Math.max(0, metricValue(text, 'nodejs_eventloop_lag_p99_seconds') * 1000 - EVENT_LOOP_RESOLUTION_MS),
        loopMaxMs: Math.max(0, metricValue(text, 'nodejs_eventloop_lag_max_seconds') * 1000 - EVENT_LOOP_RESOLUTION_MS),
        ...counts,
      };
      samples.push(s);
      log(
        `soak t=${t.toFixed(0)}s rss=${(s.rss / 2 ** 20).toFixed(1)}MiB heap=${(s.heapUsed / 2 ** 20).toFixed(1)}MiB fds=${s.fds} loop-p99=${s.loopP99Ms.toFixed(1)}ms hb=${counts.heartbeats} missed=${counts.heartbeatsMissed} reg=${counts.registrations} dereg=${counts.deregistrations} wakes=${counts.watcherWakes} errors=${counts.errors}`,
      );
    };
    await request(metrics, 'GET', '/v1/agent/metrics?format=prometheus'); // resets the loop histogram
    await sample();
    while (!stop.signal.aborted && remaining() > 0) {
      await sleep(Math.min(sampleEveryMs, remaining()), undefined, { signal: stop.signal }).catch(() => {});
      if (!stop.signal.aborted && performance.now() - t0 >= samples.length * sampleEveryMs - 50) await sample();
    }
    if (!stop.signal.aborted && samples.at(-1).t < (performance.now() - t0) / 1000 - 2) await sample();
    const elapsed = (performance.now() - t0) / 1000;
    stop.abort();
    await Promise.all(loops);
    return { seconds: elapsed, counts: { ...counts }, errors, samples };
  } finally {
    stop.abort();
    signal?.removeEventListener('abort', onOuterAbort);
    await Promise.allSettled(loops);
    await Promise.allSettled([hb.destroy(), churn.destroy(), metrics.destroy(), ...watcherClients.map((c) => c.destroy())]);
  }
}

/** Least-squares slope of y over t. */
function slope(points) {
  const n = points.length;
  if (n < 2) return 0;
  const mt = points.reduce((a, p) => a + p.t, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.t - mt) * (p.y - my);
    den += (p.t - mt) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/**
 * Growth of one sampled series over the last `windowS` seconds. The verdict uses the **peak
 * envelope**: the highest sample of the window against the highest sample between warm-up
 * (`fromS`) and the window (the first sample after warm-up when there is none). V8's heap
 * saws up and down over a minute or two, so a trend or last-vs-first comparison depends on
 * where the window starts in that cycle; a leak raises the peaks whatever the phase. The
 * least-squares trend and last-vs-first growth are reported beside it.
 */
export function growth(samples, key, windowS, fromS = 0) {
  const end = samples.at(-1).t;
  const start = end - windowS - 0.5;
  const w = samples.filter((s) => s.t >= start);
  const before = samples.filter((s) => s.t >= fromS - 0.5 && s.t < start);
  const peak = Math.max(...w.map((s) => s[key]));
  const earlier = before.length > 0 ? Math.max(...before.map((s) => s[key])) : w[0][key];
  const first = w[0][key];
  const trend = (slope(w.map((s) => ({ t: s.t, y: s[key] }))) * (end - w[0].t)) / first;
  return {
    peak: (peak - earlier) / earlier,
    peakBefore: earlier,
    peakWindow: peak,
    trend,
    endpoints: (w.at(-1)[key] - first) / first,
    from: first,
    to: w.at(-1)[key],
    samples: w.length,
  };
}

/**
 * The verdict of issue 18: RSS and descriptors flat after warm-up (growth ≤ 5 % over the last 5
 * minutes, or the last half of a shorter run), event-loop delay p99 ≤ 50 ms after warm-up, 0 errors.
 */
export function judgeSoak(result, { warmupS = 60, windowS = 300, maxGrowth = 0.05, maxLoopP99Ms = 50 } = {}) {
  const end = result.samples.at(-1).t;
  const window = Math.min(windowS, end / 2);
  const warm = Math.min(warmupS, end / 2);
  const afterWarmup = result.samples.filter((s) => s.t >= warm - 0.5 && s.t > 0);
  const rss = growth(result.samples, 'rss', window, warm);
  const fds = growth(result.samples, 'fds', window, warm);
  const loopP99 = Math.max(...afterWarmup.map((s) => s.loopP99Ms));
  const checks = [
    {
      what: `RSS growth over the last ${window.toFixed(0)} s (peak vs peak before)`,
      value: rss.peak,
      ok: rss.peak <= maxGrowth,
      limit: `≤ ${maxGrowth * 100} %`,
    },
    {
      what: `descriptor growth over the last ${window.toFixed(0)} s (peak vs peak before)`,
      value: fds.peak,
      ok: fds.peak <= maxGrowth,
      limit: `≤ ${maxGrowth * 100} %`,
    },
    {
      what: `event-loop delay p99, worst 10 s window after ${warm.toFixed(0)} s`,
      value: loopP99,
      ok: loopP99 <= maxLoopP99Ms,
      limit: `≤ ${maxLoopP99Ms} ms`,
    },
    { what: 'errors', value: result.counts.errors, ok: result.counts.errors === 0, limit: '0' },
  ];
  return { ok: checks.every((c) => c.ok), checks, rss, fds, loopP99 };
}

/**
 * An SVG line chart of the samples: four panels stacked (RSS, heap used, open descriptors,
 * event-loop delay p99), time on the x axis. Plain SVG, no dependency.
 */
export function soakSvg(samples, { title = 'roster serve soak' } = {}) {
  const panels = [
    { key: 'rss', label: 'RSS (MiB)', scale: 1 / 2 ** 20, color: '#1f77b4' },
    { key: 'heapUsed', label: 'heap used (MiB)', scale: 1 / 2 ** 20, color: '#2ca02c' },
    { key: 'fds', label: 'open descriptors', scale: 1, color: '#ff7f0e' },
    { key: 'loopP99Ms', label: 'event-loop delay p99 (ms; dashed: the 50 ms limit)', scale: 1, color: '#d62728', limit: 50 },
  ];
  const W = 760;
  const PH = 150;
  const L = 70;
  const R = 20;
  const T = 56;
  const GAP = 40;
  const H = T + panels.length * (PH + GAP) + 10;
  const tMax = Math.max(1, samples.at(-1)?.t ?? 1);
  const x = (t) => L + ((W - L - R) * t) / tMax;
  const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const nice = (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${L}" y="20" font-size="14">${esc(title)}</text>`,
  ];
  panels.forEach((p, i) => {
    const top = T + i * (PH + GAP);
    const ys = samples.map((s) => s[p.key] * p.scale).filter((v) => Number.isFinite(v));
    const hi = Math.max(...ys, p.limit ?? 0, 1e-9) * 1.1;
    const lo = Math.min(0, ...ys);
    const y = (v) => top + PH - (PH * (v - lo)) / (hi - lo || 1);
    out.push(`<text x="${L}" y="${top - 8}" font-size="12">${esc(p.label)}</text>`);
    out.push(`<rect x="${L}" y="${top}" width="${W - L - R}" height="${PH}" fill="none" stroke="#999"/>`);
    for (let k = 0; k <= 4; k++) {
      const v = lo + ((hi - lo) * k) / 4;
      out.push(`<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`);
      out.push(`<text x="${L - 6}" y="${y(v) + 4}" text-anchor="end">${nice(v)}</text>`);
    }
    for (let k = 0; k <= 5; k++) {
      const t = (tMax * k) / 5;
      out.push(`<text x="${x(t)}" y="${top + PH + 14}" text-anchor="middle">${t.toFixed(0)} s</text>`);
    }
    if (p.limit !== undefined) {
      out.push(`<line x1="${L}" x2="${W - R}" y1="${y(p.limit)}" y2="${y(p.limit)}" stroke="${p.color}" stroke-dasharray="6 4"/>`);
    }
    const pts = samples
      .filter((s) => Number.isFinite(s[p.key]))
      .map((s) => `${x(s.t).toFixed(1)},${y(s[p.key] * p.scale).toFixed(1)}`)
      .join(' ');
    out.push(`<polyline fill="none" stroke="${p.color}" stroke-width="2" points="${pts}"/>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
