/**
 * The dashboard in real chromium against a real roster serve (ACLs off): it loads from `/` with
 * a strict CSP; a registration appears without reload within 1 s; a failing TTL check turns its
 * instance critical on screen (worst first); search and filters narrow the list; untrusted text
 * (IDs, tags, meta, check names and output carrying markup and `javascript:` URLs) renders as
 * text and runs nothing; the events and registry views are live; the page reconnects by itself
 * after a server restart and says so meanwhile. One browser and one page for the whole file.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardServer, haveChromium, launchChromium } from './browser.test-helper.js';

const run = haveChromium('dashboard browser tests');

/** What the page-side functions below touch (this code is type-checked without the DOM library). */
interface PageGlobals {
  __xss: number;
  __csp: string[];
  __noReload?: boolean;
  document: {
    addEventListener(type: string, listener: (e: { violatedDirective: string; blockedURI: string }) => void): void;
    querySelectorAll(selector: string): { length: number };
    scripts: { length: number };
  };
  getComputedStyle(element: unknown, pseudo: string): { content: string };
}

describe.runIf(run)('the dashboard in chromium (ACLs off)', () => {
  const roster = new DashboardServer();
  let browser: Browser | undefined;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    await roster.start();
    browser = await launchChromium();
    page = await browser.newPage();
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
    // A page-level flag the payloads below would set, and every CSP violation the page reports.
    await page.addInitScript(() => {
      const w = globalThis as unknown as PageGlobals;
      w.__xss = 0;
      w.__csp = [];
      w.document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
  });

  afterAll(async () => {
    try {
      await browser?.close();
    } finally {
      await roster.dispose();
    }
  });

  const row = (name: string) =>
    page.locator('.service-row').filter({ has: page.locator('.service-name', { hasText: new RegExp(`^${name}$`) }) });

  it('loads from / (a browser is sent to /ui/) with a strict CSP and nosniff, and goes live', async () => {
    await roster.put('/v1/agent/service/register', { Name: 'seed', ID: 'seed-1', Port: 8000, Tags: ['v1'] });
    const answer = await page.goto(`${roster.url}/`);
    expect(page.url()).toBe(`${roster.url}/ui/`);
    const headers = answer!.headers();
    expect(headers['content-security-policy']).toContain("script-src 'self'");
    expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(headers['content-security-policy']).not.toContain('unsafe');
    expect(headers['x-content-type-options']).toBe('nosniff');
    await page.locator('.conn[data-state="live"]').waitFor();
    await row('seed').waitFor();
    expect(await page.locator('.who').textContent()).toBe('ACLs off');
    await page.evaluate(() => ((globalThis as unknown as PageGlobals).__noReload = true));
  });

  it('shows a service registered through the API within 1 s, without reload', async () => {
    await roster.put('/v1/agent/service/register', { Name: 'orders', ID: 'orders-1', Port: 8080, Tags: ['blue', 'http'] });
    const t0 = Date.now();
    await row('orders').waitFor({ timeout: 1000 });
    expect(Date.now() - t0).toBeLessThan(1000);
    await expect.poll(() => row('orders').locator('.count').textContent()).toBe('1');
    await roster.put('/v1/agent/service/register', { Name: 'orders', ID: 'orders-2', Port: 8081, Tags: ['green'] });
    await expect.poll(() => row('orders').locator('.count').textContent(), { timeout: 1000 }).toBe('2');
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).__noReload)).toBe(true);
  });

  it('turns an instance critical on screen when its TTL check fails, worst first, with the check output', async () => {
    await roster.put('/v1/agent/service/register', {
      Name: 'billing',
      ID: 'billing-1',
      Port: 9000,
      Check: { CheckID: 'billing-ttl', Name: 'billing heartbeat', TTL: '300s', Status: 'passing' },
    });
    await row('billing').locator('.badge.passing').waitFor();
    await roster.put('/v1/agent/check/fail/billing-ttl?note=disk%20full');
    await row('billing').locator('.badge.critical', { hasText: '1 critical' }).waitFor({ timeout: 1000 });
    // Worst first: the only service with a critical instance heads the list.
    expect(await page.locator('.service-row .service-name').first().textContent()).toBe('billing');
    await row('billing').locator('.service-name').click();
    await page.locator('.instance.critical .instance-id', { hasText: 'billing-1' }).waitFor();
    expect(await page.locator('.check-output').filter({ hasText: 'disk full' }).count()).toBe(1);
    // The timeline shows the transition the server saw (registered passing, then critical).
    expect(await page.locator('.instance .timeline .tick').evaluateAll((ticks) => ticks.map((t) => t.className))).toEqual([
      'tick passing',
      'tick critical',
    ]);
    await roster.put('/v1/agent/check/pass/billing-ttl?note=recovered');
    await page.locator('.instance.passing').waitFor({ timeout: 1000 });
    await page.locator('.check-output', { hasText: 'recovered' }).waitFor();
    await page.locator('.nav-services').click();
  });

  it('narrows the list by search, health and tag', async () => {
    for (const [name, tags] of [
      ['catalog-api', ['blue']],
      ['catalog-db', ['green']],
      ['search', ['blue', 'edge']],
    ] as const)
      await roster.put('/v1/agent/service/register', { Name: name, ID: `${name}-1`, Port: 7000, Tags: tags });
    await roster.put('/v1/agent/service/register', {
      Name: 'broken',
      ID: 'broken-1',
      Port: 7001,
      Check: { CheckID: 'broken-ttl', TTL: '300s' },
    });
    await row('broken').waitFor();
    const shown = async () => (await page.locator('.service-row .service-name').allTextContents()).sort();
    await page.locator('.search').fill('catalog');
    await expect.poll(shown).toEqual(['catalog-api', 'catalog-db']);
    await page.locator('.search').fill('edge'); // tags match too
    await expect.poll(shown).toEqual(['search']);
    await page.locator('.search').fill('');
    await page.locator('.health-filter').selectOption('critical');
    await expect.poll(shown).toEqual(['broken']);
    await page.locator('.health-filter').selectOption('any');
    await page.locator('.tag-filter').selectOption('blue');
    await expect.poll(shown).toEqual(['catalog-api', 'orders', 'search']);
    await page.locator('.search').fill('cat');
    await expect.poll(shown).toEqual(['catalog-api']);
    expect(await page.locator('.shown-count').textContent()).toBe('1');
    await page.locator('.search').fill('');
    await page.locator('.tag-filter').selectOption('');
    await expect.poll(async () => (await shown()).length).toBe(7);
  });

  it('renders untrusted IDs, tags, meta, check names and output as text and runs nothing', async () => {
    const script = '<img src=x onerror=window.__xss=1>';
    // Service names are refused at the API (letters, digits, ., _, - only): 400, nothing stored.
    const refused = await roster.request('PUT', '/v1/agent/service/register', { Name: script, Port: 1 });
    expect(refused.status).toBe(400);
    await roster.put('/v1/agent/service/register', {
      Name: 'evil',
      ID: `evil-1${script}</script><script>window.__xss=2</script>`,
      Port: 6666,
      Tags: ['javascript:window.__xss=3', '</script><script>window.__xss=4</script>', script],
      Meta: { link: 'javascript:window.__xss=5', html: '<a href="javascript:window.__xss=6">click</a>', zone: '<b>z</b>' },
      Check: { CheckID: 'evil-ttl', Name: `<svg onload=window.__xss=7>`, TTL: '300s', Status: 'passing' },
    });
    await roster.put(
      `/v1/agent/check/fail/evil-ttl?note=${encodeURIComponent('</pre><img src=x onerror=window.__xss=8><script>window.__xss=9</script>')}`,
    );
    await row('evil').waitFor();
    const tags = await row('evil').locator('.tag').allTextContents();
    expect(tags).toEqual(expect.arrayContaining(['javascript:window.__xss=3', '</script><script>window.__xss=4</script>', script]));
    await row('evil').locator('.service-name').click();
    await page.locator('.instance-id').waitFor();
    expect(await page.locator('.instance-id').textContent()).toBe(`evil-1${script}</script><script>window.__xss=2</script>`);
    expect(await page.locator('.meta-value').allTextContents()).toEqual(
      expect.arrayContaining(['javascript:window.__xss=5', '<a href="javascript:window.__xss=6">click</a>', '<b>z</b>']),
    );
    expect(await page.locator('.check-name').allTextContents()).toContain('<svg onload=window.__xss=7>');
    await page.locator('.check-output', { hasText: '<script>window.__xss=9</script>' }).waitFor();
    // Nothing became markup: no element the payloads would create, no link at all, no script ran.
    const found = await page.evaluate(() => {
      const w = globalThis as unknown as PageGlobals;
      return {
        xss: w.__xss,
        csp: w.__csp,
        imgs: w.document.querySelectorAll('img, svg, b, main script, main a').length,
        scripts: w.document.scripts.length,
      };
    });
    expect(found).toEqual({ xss: 0, csp: [], imgs: 0, scripts: 1 });
    expect(pageErrors).toEqual([]);
    await page.locator('.back').click();
  });

  it('logs register, deregister and health events live, filterable by service', async () => {
    await page.locator('.nav-events').click();
    await roster.put('/v1/agent/service/register', {
      Name: 'audit',
      ID: 'audit-1',
      Port: 5000,
      Check: { CheckID: 'audit-ttl', TTL: '300s', Status: 'passing' },
    });
    await roster.put('/v1/agent/check/warn/audit-ttl');
    await roster.put('/v1/agent/service/deregister/audit-1');
    await page.locator('.event-row', { hasText: 'deregistered' }).filter({ hasText: 'audit' }).waitFor({ timeout: 1000 });
    await page.locator('.event-filter').fill('audit');
    await expect.poll(() => page.locator('.event-row .event-type').allTextContents()).toEqual(['deregister', 'health', 'register']);
    expect(await page.locator('.event-row', { hasText: 'health' }).textContent()).toContain('check audit-ttl: passing → warning');
    await page.locator('.event-filter').fill('');
  });

  it('shows the registry itself: index, counts, held queries, watchers, version and bind address', async () => {
    await page.locator('.nav-registry').click();
    const value = (label: string) =>
      page.locator('table.status tr', { has: page.locator('th', { hasText: new RegExp(`^${label}$`) }) }).locator('td');
    await expect.poll(() => value('Bind address').textContent()).toBe(roster.url.replace('http://', ''));
    expect(Number(await value('Instances').textContent())).toBeGreaterThanOrEqual(8);
    // This page's own event stream is a watcher.
    expect(Number(await value('Watchers \\(event streams and watch streams\\)').textContent())).toBeGreaterThanOrEqual(1);
    expect(await value('ACLs').textContent()).toBe('off');
    await page.locator('.nav-services').click();
  });

  it('fits a 420-pixel window: no page scrolls sideways, and names and health stay in view', async () => {
    await roster.put('/v1/agent/service/register', {
      Name: 'a-service-with-a-rather-long-name-for-a-phone',
      ID: 'long-1',
      Port: 5200,
      Tags: ['blue', 'v2'],
    });
    // One instance of each health: the row's three badges must all show.
    for (const [k, status] of ['passing', 'warning', 'critical'].entries()) {
      await roster.put('/v1/agent/service/register', {
        Name: 'aa-mixed',
        ID: `mixed-${k}`,
        Port: 5300 + k,
        Check: { CheckID: `mixed-${k}-ttl`, TTL: '3600s', Status: status },
      });
    }
    const narrow = await browser!.newPage({ viewport: { width: 420, height: 800 } });
    narrow.setDefaultTimeout(10_000);
    try {
      // How far the page runs past the window, in pixels (0 or less: it fits).
      const overflow = () =>
        narrow.evaluate(() => {
          const w = globalThis as unknown as { innerWidth: number; document: { documentElement: { scrollWidth: number } } };
          return w.document.documentElement.scrollWidth - w.innerWidth;
        });
      await narrow.goto(`${roster.url}/ui/`);
      const first = narrow.locator('.service-row').first();
      await first.waitFor();
      expect(await overflow()).toBeLessThanOrEqual(0);
      for (const part of [first.locator('.service-name'), first.locator('.healths .badge').first()]) {
        const box = (await part.boundingBox())!;
        expect(box.x + box.width, (await part.textContent()) ?? '').toBeLessThanOrEqual(420);
      }
      // Every badge of the mixed service lies whole inside its health cell (none cut or pushed out).
      const mixed = narrow.locator('.service-row', { has: narrow.locator('.service-name', { hasText: 'aa-mixed' }) });
      const cell = (await mixed.locator('.healths').boundingBox())!;
      const badges = mixed.locator('.healths .badge');
      expect(await badges.count()).toBe(3);
      for (let i = 0; i < 3; i++) {
        const box = (await badges.nth(i).boundingBox())!;
        const what = (await badges.nth(i).textContent()) ?? '';
        expect(box.x + box.width, what).toBeLessThanOrEqual(Math.min(cell.x + cell.width, 420) + 0.5);
        expect(box.y + box.height, what).toBeLessThanOrEqual(cell.y + cell.height + 0.5);
      }
      await narrow.goto(`${roster.url}/ui/#/events`);
      // An event while the page listens, so that the list has a row.
      await narrow.locator('.list-head.event-cols').waitFor();
      await roster.put('/v1/agent/service/register', { Name: 'narrow', ID: 'narrow-1', Port: 5100 });
      await narrow.locator('.event-row').first().waitFor();
      expect(await overflow()).toBeLessThanOrEqual(0);
      await narrow.goto(`${roster.url}/ui/#/service/a-service-with-a-rather-long-name-for-a-phone`);
      await narrow.locator('.instance').first().waitFor();
      expect(await overflow()).toBeLessThanOrEqual(0);
      // A one-line check output (the node check's) is shown whole, not scrolled inside its box,
      // next to a check whose last change takes a long line; that line says what it is.
      await roster.put('/v1/agent/check/fail/mixed-0-ttl?note=down');
      await narrow.goto(`${roster.url}/ui/#/service/aa-mixed`);
      const changed = narrow.locator('td.changed', { hasText: 'passing → critical' });
      await changed.waitFor();
      const output = narrow.locator('.instance', { has: changed }).locator('.check-output', { hasText: 'Agent alive and reachable' });
      const fit = await output.evaluate((el) => ({ scroll: el.scrollHeight, client: el.clientHeight, width: el.clientWidth }));
      expect(fit.scroll, 'output scrolled inside its box').toBeLessThanOrEqual(fit.client);
      // The output has the card's width, not a fourth of it.
      expect(fit.width).toBeGreaterThan(250);
      expect(await changed.evaluate((el) => (globalThis as unknown as PageGlobals).getComputedStyle(el, '::before').content)).toBe(
        '"Last changed: "',
      );
      expect(await overflow()).toBeLessThanOrEqual(0);
    } finally {
      await narrow.close();
    }
  });

  it('says it is reconnecting while the server is down, and catches up by itself after a restart', async () => {
    await roster.stop();
    await page.locator('.conn[data-state="reconnecting"]').waitFor({ timeout: 10_000 });
    expect(await page.locator('.conn').textContent()).toBe('reconnecting…');
    await roster.restart();
    await page.locator('.conn[data-state="live"]').waitFor({ timeout: 15_000 });
    await roster.put('/v1/agent/service/register', { Name: 'after-restart', ID: 'after-restart-1', Port: 4000 });
    await row('after-restart').waitFor({ timeout: 1000 });
    // The data it had survives (the store), and the deregistered one stays gone.
    await row('orders').waitFor();
    expect(await row('audit').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).__noReload)).toBe(true);
  });
});
