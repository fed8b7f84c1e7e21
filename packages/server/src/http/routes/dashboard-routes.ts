/**
 * The web dashboard at `/ui/` (roster's own, not Consul's): the static files of
 * `@rosterjs/dashboard`, read once at start, each answer with the dashboard's strict
 * Content-Security-Policy and `nosniff`. `/ui` redirects to `/ui/`; any path below `/ui/` that is
 * not a file is the page itself (its views live in the URL's fragment). The files hold no data:
 * the page asks the API for everything, with the user's token, so the route is public.
 */
import { DASHBOARD_HEADERS } from '../../dashboard/dashboard-headers.js';
import { type DashboardFiles, dashboardDir, loadDashboardFiles } from '../../dashboard/dashboard-files.js';
import type { ApiReply, Route } from '../route.js';

const TEXT = 'text/plain; charset=utf-8';

/** The routes; `files` defaults to the installed, built dashboard. */
export function dashboardRoutes(files: DashboardFiles = loadDashboardFiles(dashboardDir())): Route[] {
  return [
    {
      path: '/ui',
      methods: ['GET'],
      name: 'ui',
      access: { kind: 'public' },
      handle: () => ({ kind: 'text', status: 301, body: '', contentType: TEXT, headers: { ...DASHBOARD_HEADERS, Location: '/ui/' } }),
    },
    {
      path: '/ui/',
      methods: ['GET'],
      name: 'ui',
      access: { kind: 'public' },
      handle(req): ApiReply {
        if (files.kind === 'missing')
          return {
            kind: 'text',
            status: 404,
            body: `roster serve: no dashboard: ${files.reason}\n`,
            contentType: TEXT,
            headers: DASHBOARD_HEADERS,
          };
        const name = req.rest === '' || !files.files.has(req.rest) ? 'index.html' : req.rest;
        const file = files.files.get(name);
        if (file === undefined)
          return {
            kind: 'text',
            status: 404,
            body: 'roster serve: no index.html in the dashboard\n',
            contentType: TEXT,
            headers: DASHBOARD_HEADERS,
          };
        // Asset-looking paths that are not files are 404s, not the page (a wrong script path must not parse HTML as script).
        if (name === 'index.html' && /\.[a-z0-9]+$/i.test(req.rest))
          return { kind: 'text', status: 404, body: '404 page not found\n', contentType: TEXT, headers: DASHBOARD_HEADERS };
        const headers = { ...DASHBOARD_HEADERS, ETag: file.etag };
        if (req.headers['if-none-match'] === file.etag)
          return { kind: 'text', status: 304, body: '', contentType: file.contentType, headers };
        return { kind: 'text', body: file.body, contentType: file.contentType, headers };
      },
    },
  ];
}
