/**
 * The dashboard with ACLs on, in real chromium against a real roster serve (default deny): the
 * page asks once for a token, keeps it in session storage, sends it only as a header (never in a
 * URL); without one it shows what the anonymous policy allows; with a read token the actions are
 * disabled; with a write token maintenance on/off and deregistering a critical instance work,
 * each after a confirmation; when the server refuses anyway, its 403 is shown.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardServer, haveChromium, launchChromium } from './browser.test-helper.js';

const run = haveChromium('dashboard ACL browser tests');
const READ = 'read-secret-3f9a2c';
const WRITE = 'write-secret-8b1d7e';
const TOKENS = { [READ]: 'read', [WRITE]: 'write' } as const;

/** What the page-side functions below touch (this code is type-checked without the DOM library). */
interface PageGlobals {
  sessionStorage: { getItem(key: string): string | null };
  localStorage: { length: number };
}

describe.runIf(run)('the dashboard in chromium (ACLs on, default deny)', () => {
  const roster = new DashboardServer({ acl: { tokens: TOKENS, defaultPolicy: 'deny' } });
  let browser: Browser | undefined;
  let page: Page;
  const urls: string[] = [];
  const apiHeaders: (string | undefined)[] = [];

  beforeAll(async () => {
    await roster.start();
    await roster.put(
      '/v1/agent/service/register',
      { Name: 'orders', ID: 'orders-1', Port: 8080, Check: { CheckID: 'orders-1-ttl', TTL: '300s', Status: 'passing' } },
      WRITE,
    );
    await roster.put(
      '/v1/agent/service/register',
      { Name: 'orders', ID: 'orders-2', Port: 8081, Check: { CheckID: 'orders-2-ttl', TTL: '300s', Status: 'passing' } },
      WRITE,
    );
    browser = await launchChromium();
    page = await browser.newPage();
    page.setDefaultTimeout(10_000);
    page.on('request', (r) => {
      urls.push(r.url());
      if (new URL(r.url()).pathname.startsWith('/v1/')) apiHeaders.push(r.headers()['x-consul-token']);
    });
  });

  afterAll(async () => {
    try {
      await browser?.close();
    } finally {
      await roster.dispose();
    }
  });

  const instance = (id: string) =>
    page.locator('.instance').filter({ has: page.locator('.instance-id', { hasText: new RegExp(`^${id}$`) }) });

  it('asks for a token; without one shows what the anonymous policy allows (nothing here)', async () => {
    await page.goto(`${roster.url}/ui/`);
    await page.locator('.token-dialog').waitFor();
    await page.locator('.token-skip').click();
    await page.locator('.who', { hasText: 'anonymous' }).waitFor();
    await page.locator('.empty', { hasText: 'No services your token may read.' }).waitFor();
    // Asked once: a reload in the same tab does not ask again.
    await page.reload();
    await page.locator('.who', { hasText: 'anonymous' }).waitFor();
    expect(await page.locator('.token-dialog').count()).toBe(0);
  });

  it('with a read token: sees the services, keeps the token in session storage, sends it only as a header', async () => {
    await page.locator('.token-button').click();
    await page.locator('.token-input').fill('not-a-token');
    await page.locator('.token-save').click();
    await page.locator('.token-error', { hasText: 'Token refused (404: Supplied token does not exist)' }).waitFor();
    await page.locator('.token-input').fill(READ);
    await page.locator('.token-save').click();
    await page.locator('.service-row', { hasText: 'orders' }).waitFor();
    expect(await page.locator('.who').textContent()).toContain('token:');
    const storage = await page.evaluate(() => {
      const w = globalThis as unknown as PageGlobals;
      return { session: w.sessionStorage.getItem('roster.token'), local: w.localStorage.length };
    });
    expect(storage).toEqual({ session: READ, local: 0 });
    // Never in a URL; on the API requests since it was given, always as the header.
    expect(urls.filter((u) => u.includes(READ) || u.includes(WRITE) || u.includes('token='))).toEqual([]);
    expect(apiHeaders).toContain(READ);
  });

  it('with a read token: the actions are disabled and the page says why', async () => {
    await page.locator('.service-row .service-name', { hasText: 'orders' }).click();
    await instance('orders-1').waitFor();
    await page.locator('.read-only').waitFor();
    expect(await instance('orders-1').locator('button.maintenance-on').isDisabled()).toBe(true);
    await roster.put('/v1/agent/check/fail/orders-2-ttl', undefined, WRITE);
    await instance('orders-2').locator('button.deregister').waitFor();
    expect(await instance('orders-2').locator('button.deregister').isDisabled()).toBe(true);
    // The API itself refuses the read token.
    expect((await roster.request('PUT', '/v1/agent/service/maintenance/orders-1?enable=true', undefined, READ)).status).toBe(403);
  });

  it('with a write token: maintenance on and off and deregistering a critical instance, each after a confirmation', async () => {
    await page.locator('.token-button').click();
    await page.locator('.token-input').fill(WRITE);
    await page.locator('.token-save').click();
    await instance('orders-1').locator('button.maintenance-on:not([disabled])').waitFor();
    expect(await page.locator('.read-only').count()).toBe(0);
    // Cancel does nothing.
    await instance('orders-1').locator('button.maintenance-on').click();
    await page.locator('.dialog', { hasText: 'Put instance into maintenance "orders-1"?' }).waitFor();
    await page.locator('.dialog .cancel').click();
    expect(await (await roster.request('GET', '/v1/agent/checks', undefined, WRITE)).json()).not.toHaveProperty([
      '_service_maintenance:orders-1',
    ]);
    // Confirm puts it into maintenance; the page shows it live.
    await instance('orders-1').locator('button.maintenance-on').click();
    await page.locator('.dialog .confirm').click();
    await instance('orders-1').locator('.maintenance-flag').waitFor();
    expect(await instance('orders-1').getAttribute('data-health')).toBe('critical');
    expect(await (await roster.request('GET', '/v1/agent/checks', undefined, WRITE)).json()).toHaveProperty([
      '_service_maintenance:orders-1',
    ]);
    await instance('orders-1').locator('button.maintenance-off').click();
    await page.locator('.dialog .confirm').click();
    await instance('orders-1').locator('button.maintenance-on').waitFor();
    expect(await instance('orders-1').getAttribute('data-health')).toBe('passing');
    // Deregister the critical instance.
    await instance('orders-2').locator('button.deregister').click();
    await page.locator('.dialog', { hasText: 'Deregister instance "orders-2"?' }).waitFor();
    await page.locator('.dialog .confirm').click();
    await instance('orders-2').waitFor({ state: 'detached' });
    expect((await roster.request('GET', '/v1/agent/service/orders-2', undefined, WRITE)).status).toBe(404);
  });

  it("shows the API's 403 when the server refuses an action (the token's rights changed)", async () => {
    await page.locator('.token-button').click();
    await page.locator('.token-dialog').waitFor();
    await page.locator('.token-input').fill(WRITE);
    await page.locator('.token-save').click();
    await instance('orders-1').locator('button.maintenance-on:not([disabled])').waitFor();
    // The user asks while the token may write; the operator downgrades it before the confirmation.
    await instance('orders-1').locator('button.maintenance-on').click();
    await page.locator('.dialog .confirm').waitFor();
    roster.server.reload({ acl: { tokens: { [READ]: 'read', [WRITE]: 'read' }, defaultPolicy: 'deny' } });
    await page.locator('.dialog .confirm').click();
    const error = page.locator('.action-error');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/refused: 403 Permission denied: .*service:write/);
    expect(await instance('orders-1').locator('.maintenance-flag').count()).toBe(0);
  });
});
