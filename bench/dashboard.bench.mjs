/* global document, MutationObserver */
// The dashboard in Debian's chromium (playwright-core, headless) against roster serve on
// 127.0.0.1, bounded in count and time:
// 1. time to first render of the services view at 1,000 services x 10 instances, from the
//    browser's own performance timings (navigation start -> the view's `roster:services-rendered`
//    mark, after the snapshot is loaded and drawn), over 5 page loads;
// 2. time from a registration to its row on screen, p50/p99 over 120 registrations, measured in
//    the page (performance.now() before the PUT, a MutationObserver seeing the row), with the
//    10,000 instances loaded;
// 3. with --screenshots: the services and service views of a small fixed data set, written to
//    docs/images/dashboard-services.png and docs/images/dashboard-service.png.
// `node bench/dashboard.bench.mjs [--screenshots] [--services N]` (needs `npm run build`).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { createServer } from '../packages/server/dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const SERVICES = Number(args[args.indexOf('--services') + 1]) || 1000;
const PER_SERVICE = 10;
const LOADS = 5;
const CHANGES = Number(process.env.CHANGES) || 120;
const deadline = setTimeout(() => {
  console.error('dashboard bench: over its 10-minute bound, stopping');
  process.exit(2);
}, 10 * 60_000);
deadline.unref();

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const fmt = (ms) => `${ms.toFixed(0)} ms`;

async function withServer(fn) {
  const dir = mkdtempSync(join(tmpdir(), 'roster-dash-bench-'));
  const server = createServer({ dataDir: dir, port: 0, logLevel: 'silent', sync: 'normal', nodeName: 'bench-node' });
  const { url } = await server.listen();
  try {
    return await fn(url);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function put(url, path, body) {
  const res = await fetch(url + path, { method: 'PUT', body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status !== 200) throw new Error(`PUT ${path}: ${res.status} ${await res.text()}`);
}

/** Runs `tasks` with at most `width` at once. */
async function pool(tasks, width) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < tasks.length) await tasks[next++]();
    }),
  );
}

function statusOf(i) {
  return i % 97 === 0 ? 'critical' : i % 41 === 0 ? 'warning' : 'passing';
}

async function fill(url, services) {
  const tasks = [];
  for (let s = 0; s < services; s++) {
    for (let k = 0; k < PER_SERVICE; k++) {
      const i = s * PER_SERVICE + k;
      const name = `svc-${String(s).padStart(4, '0')}`;
      tasks.push(() =>
        put(url, '/v1/agent/service/register', {
          Name: name,
          ID: `${name}-${k}`,
          Address: `10.0.${s % 250}.${k + 1}`,
          Port: 8000 + k,
          Tags: [`team-${s % 7}`, k % 2 === 0 ? 'blue' : 'green'],
          Meta: { zone: `zone-${k % 3}`, version: `1.${s % 5}.0` },
          Check: { CheckID: `ttl-${name}-${k}`, TTL: '3600s', Status: statusOf(i) },
        }),
      );
    }
  }
  await pool(tasks, 32);
}

async function launch() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1',
    ],
  });
}

async function firstRender(browser, url) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const times = [];
  try {
    for (let i = 0; i < LOADS; i++) {
      await page.goto(`${url}/ui/`);
      await page.locator('.service-row').first().waitFor({ timeout: 60_000 });
      const t = await page.evaluate(async () => {
        for (let n = 0; n < 600 && performance.getEntriesByName('roster:services-rendered').length === 0; n++)
          await new Promise((r) => setTimeout(r, 50));
        const mark = performance.getEntriesByName('roster:services-rendered')[0];
        const nav = performance.getEntriesByType('navigation')[0];
        return {
          rendered: mark?.startTime ?? NaN,
          dcl: nav?.domContentLoadedEventEnd ?? NaN,
          rows: document.querySelectorAll('.service-row').length,
        };
      });
      times.push(t);
    }
  } finally {
    await page.close();
  }
  return times;
}

async function registrationToRow(browser, url) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  try {
    await page.goto(`${url}/ui/`);
    await page.locator('.conn[data-state="live"]').waitFor({ timeout: 60_000 });
    await page.locator('.service-row').first().waitFor({ timeout: 60_000 });
    // Only the new services are shown, so each new row is on screen (the list is virtualized).
    await page.locator('.search').fill('live-');
    return await page.evaluate(async (changes) => {
      const out = [];
      const list = document.querySelector('.services-list');
      const start = performance.now();
      // Bounded: a row not seen within 5 s counts as missed; the loop stops after 120 s.
      for (let i = 0; i < changes && performance.now() - start < 120_000; i++) {
        // Counting down, each new service sorts first among the shown ones, so its row is on screen.
        const name = `live-${String(9999 - i).padStart(4, '0')}`;
        const seen = new Promise((resolve) => {
          const has = () => [...list.querySelectorAll('.service-name')].some((n) => n.textContent === name);
          const observer = new MutationObserver(() => {
            if (has()) {
              observer.disconnect();
              resolve(performance.now());
            }
          });
          observer.observe(list, { childList: true, subtree: true, characterData: true });
        });
        const t0 = performance.now();
        const res = await fetch('/v1/agent/service/register', {
          method: 'PUT',
          body: JSON.stringify({ Name: name, ID: `${name}-0`, Port: 9000 }),
        });
        if (res.status !== 200) throw new Error(`register ${name}: ${res.status}`);
        const t1 = await Promise.race([seen, new Promise((r) => setTimeout(() => r(NaN), 5000))]);
        out.push(t1 - t0);
      }
      return out;
    }, CHANGES);
  } finally {
    await page.close();
  }
}

async function screenshots(browser) {
  await withServer(async (url) => {
    const fixed = [
      ['orders', ['http', 'v2'], 3, 'eu-west-1a'],
      ['payments', ['grpc', 'pci'], 2, 'eu-west-1b'],
      ['search', ['http'], 4, 'eu-west-1a'],
      ['inventory', ['http', 'v1'], 2, 'eu-west-1c'],
      ['notifications', ['worker'], 2, 'eu-west-1b'],
      ['auth', ['http', 'edge'], 3, 'eu-west-1a'],
    ];
    for (const [name, tags, n, zone] of fixed)
      for (let k = 1; k <= n; k++)
        await put(url, '/v1/agent/service/register', {
          Name: name,
          ID: `${name}-${k}`,
          Address: `10.1.${fixed.findIndex((f) => f[0] === name)}.${k}`,
          Port: 8080,
          Tags: tags,
          Meta: { zone, version: k === n ? '2.4.1' : '2.4.0' },
          Check: { CheckID: `${name}-${k}-ttl`, Name: `${name} heartbeat`, TTL: '3600s', Status: 'passing', Notes: 'TTL 1h' },
        });
    await put(url, '/v1/agent/check/fail/payments-2-ttl?note=' + encodeURIComponent('connection refused: 10.1.1.2:8080'));
    await put(url, '/v1/agent/check/warn/search-4-ttl?note=' + encodeURIComponent('p99 latency 850 ms > 500 ms'));
    await put(url, '/v1/agent/check/fail/orders-3-ttl?note=' + encodeURIComponent('HTTP GET /health: 503 Service Unavailable'));
    await put(url, '/v1/agent/check/pass/orders-3-ttl?note=' + encodeURIComponent('HTTP GET /health: 200 OK'));
    await put(url, '/v1/agent/check/fail/orders-2-ttl?note=' + encodeURIComponent('HTTP GET /health: 503 Service Unavailable'));
    await put(url, '/v1/agent/service/maintenance/orders-1?enable=true&reason=' + encodeURIComponent('kernel upgrade'));
    const page = await browser.newPage({ viewport: { width: 1280, height: 640 } });
    try {
      await page.goto(`${url}/ui/`);
      await page.locator('.service-row').nth(5).waitFor();
      await page.waitForTimeout(300);
      await page.screenshot({ path: join(here, '../docs/images/dashboard-services.png') });
      await page.goto(`${url}/ui/#/service/orders`);
      await page.locator('.instance').nth(2).waitFor();
      await page.waitForTimeout(300);
      await page.screenshot({ path: join(here, '../docs/images/dashboard-service.png'), fullPage: true });
    } finally {
      await page.close();
    }
  });
  console.log('screenshots: docs/images/dashboard-services.png, docs/images/dashboard-service.png\n');
}

const browser = await launch();
try {
  if (args.includes('--screenshots')) await screenshots(browser);
  await withServer(async (url) => {
    const t0 = performance.now();
    await fill(url, SERVICES);
    console.log(`${SERVICES} services x ${PER_SERVICE} instances registered in ${fmt(performance.now() - t0)} (32 at once)\n`);
    const renders = await firstRender(browser, url);
    const r = renders.map((x) => x.rendered).sort((a, b) => a - b);
    const d = renders.map((x) => x.dcl).sort((a, b) => a - b);
    console.log('| measure | p50 | max | n |');
    console.log('|---|---|---|---|');
    console.log(
      `| first render of the services view (navigation start → drawn), ${SERVICES * PER_SERVICE} instances | ${fmt(pct(r, 50))} | ${fmt(r.at(-1))} | ${r.length} |`,
    );
    console.log(`| DOMContentLoaded (page + script) | ${fmt(pct(d, 50))} | ${fmt(d.at(-1))} | ${d.length} |`);
    const lat = (await registrationToRow(browser, url)).sort((a, b) => a - b);
    const missed = lat.filter((x) => Number.isNaN(x)).length;
    const ok = lat.filter((x) => !Number.isNaN(x));
    console.log(
      `| registration → its row on screen (PUT sent → row in the DOM), with ${SERVICES * PER_SERVICE} instances loaded | ${fmt(pct(ok, 50))} (p99 ${fmt(pct(ok, 99))}) | ${fmt(ok.at(-1))} | ${ok.length}${missed ? `, ${missed} not seen within 5 s` : ''} |`,
    );
    console.log(`\nrows in the DOM at first render: ${renders[0].rows} of ${SERVICES} services (virtualized)\n`);
  });
} finally {
  await browser.close();
}
