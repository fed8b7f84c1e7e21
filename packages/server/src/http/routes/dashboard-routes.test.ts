/**
 * The dashboard's files at /ui/ (in process): the strict CSP and nosniff on every answer, the
 * redirects (`/ui`, and `/` for a browser only), the page for view paths, 404 for a missing
 * asset, ETag revalidation, and a clear 404 when the dashboard is not built.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DASHBOARD_CSP } from '../../dashboard/dashboard-headers.js';
import { loadDashboardFiles } from '../../dashboard/dashboard-files.js';
import { closeAll, testServer } from '../../testing/test-server.test-helper.js';
import { dashboardRoutes } from './dashboard-routes.js';

afterEach(closeAll);

const strict = (headers: Record<string, unknown>) => {
  expect(headers['content-security-policy']).toBe(DASHBOARD_CSP);
  expect(headers['x-content-type-options']).toBe('nosniff');
};

describe('/ui/', () => {
  it('serves the built page, script and stylesheet with a strict CSP (no inline script, no eval, never framed)', async () => {
    const t = testServer();
    const page = await t.req('GET', '/ui/');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    strict(page.headers);
    expect(DASHBOARD_CSP).toContain("script-src 'self'");
    expect(DASHBOARD_CSP).toContain("frame-ancestors 'none'");
    expect(DASHBOARD_CSP).not.toContain('unsafe-inline');
    expect(DASHBOARD_CSP).not.toContain('unsafe-eval');
    // The page loads its script from the server, never inline, never from another origin.
    expect(page.body).toContain('<script type="module" src="/ui/app.js"></script>');
    expect(page.body).not.toMatch(/<script>|https?:\/\//);
    const js = await t.req('GET', '/ui/app.js');
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    strict(js.headers);
    expect(js.body).not.toMatch(/https?:\/\/(?!www\.w3\.org)[a-z]/i);
    const css = await t.req('GET', '/ui/app.css');
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('answers a view path with the page, a missing asset with 404, and revalidates by ETag', async () => {
    const t = testServer();
    const view = await t.req('GET', '/ui/services/anything');
    expect(view.statusCode).toBe(200);
    expect(view.body).toContain('/ui/app.js');
    const missing = await t.req('GET', '/ui/nope.js');
    expect(missing.statusCode).toBe(404);
    strict(missing.headers);
    const js = await t.req('GET', '/ui/app.js');
    const again = await t.req('GET', '/ui/app.js', undefined, { 'if-none-match': String(js.headers.etag) });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('redirects /ui to /ui/, and / to /ui/ for a browser only (curl keeps the greeting)', async () => {
    const t = testServer();
    const ui = await t.req('GET', '/ui');
    expect(ui.statusCode).toBe(301);
    expect(ui.headers.location).toBe('/ui/');
    const browser = await t.req('GET', '/', undefined, { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' });
    expect(browser.statusCode).toBe(302);
    expect(browser.headers.location).toBe('/ui/');
    const curl = await t.req('GET', '/', undefined, { accept: '*/*' });
    expect(curl.statusCode).toBe(200);
    expect(curl.body).toContain('The API is under /v1/');
  });

  it('is public (the files hold no data) while the API behind it stays ACL-checked', async () => {
    const t = testServer({ acl: { tokens: { 'secret-w': 'write' }, defaultPolicy: 'deny' } });
    expect((await t.req('GET', '/ui/')).statusCode).toBe(200);
    expect((await t.req('GET', '/v1/roster/status')).statusCode).toBe(403);
  });

  it('says the dashboard is not built when its files are missing, and the API still works', () => {
    const dir = mkdtempSync(join(tmpdir(), 'roster-ui-'));
    try {
      const files = loadDashboardFiles(dir);
      expect(files).toEqual({ kind: 'missing', reason: expect.stringContaining('run npm run build') });
      const route = dashboardRoutes(files)[1]!;
      const answer = route.handle({ rest: '', headers: {} } as never);
      expect(answer).toMatchObject({ kind: 'text', status: 404, body: expect.stringContaining('not built') });
      writeFileSync(join(dir, 'index.html'), '<!doctype html>');
      writeFileSync(join(dir, 'secret.txt'), 'not served');
      const ready = loadDashboardFiles(dir);
      expect(ready.kind === 'ready' && [...ready.files.keys()]).toEqual(['index.html']);
      expect(loadDashboardFiles(undefined).kind).toBe('missing');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
