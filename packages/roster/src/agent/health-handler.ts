/**
 * The `/health` endpoint of an announced instance, for node:http request listeners. It answers
 * from the instance's own health (the same the agent reports to the registry), so the
 * registry's HTTP check and the self-report agree: 200 passing, 429 warning (Consul's HTTP
 * check reads 429 as warning), 503 critical — during a drain `critical: draining`.
 */
import type http from 'node:http';
import type { HealthStatus } from '../model.js';
import type { HealthSource } from './announcement.js';
import type { AgentHealth } from './self-health.js';

/** The HTTP answer for a health. */
export interface HealthResponse {
  readonly statusCode: number;
  /** Plain text: `passing`, or `<status>: <output>`, and a newline. */
  readonly body: string;
}

const CODES: Record<HealthStatus, number> = { passing: 200, warning: 429, critical: 503 };

/**
 * A health source, or a function returning it — for routes that must exist before `announce()`
 * returns (Fastify routes are fixed once the app listens). While the function returns
 * `undefined`, the answer is {@link HEALTH_STARTING}.
 */
export type HealthSourceRef = HealthSource | (() => HealthSource | undefined);

/** The health served before the announcement exists: not ready for traffic yet. */
export const HEALTH_STARTING: AgentHealth = { status: 'critical', output: 'starting' };

/** The health `ref` stands for now. */
export function currentHealth(ref: HealthSourceRef): AgentHealth {
  return typeof ref === 'function' ? (ref()?.health ?? HEALTH_STARTING) : ref.health;
}

/** The answer `/health` gives for `health`. */
export function healthResponse(health: AgentHealth): HealthResponse {
  const body = health.output === '' ? `${health.status}\n` : `${health.status}: ${health.output}\n`;
  return { statusCode: CODES[health.status], body };
}

/** Headers of every health answer: plain text, never cached. */
export const HEALTH_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/plain; charset=utf-8',
  'cache-control': 'no-store',
};

/**
 * Returns a function that answers `GET`/`HEAD <path>` from `source` (an Announcement, or a
 * function returning it) and returns true, or
 * returns false (and touches nothing) for any other path, so it fits at the top of a listener:
 * ```ts
 * const health = healthHandler(announcement);
 * server.on('request', (req, res) => { if (health(req, res)) return; ... });
 * ```
 * Other methods on the path get 405 with `Allow: GET, HEAD`.
 */
export function healthHandler(source: HealthSourceRef, path = '/health'): (req: http.IncomingMessage, res: http.ServerResponse) => boolean {
  return (req, res) => {
    const url = req.url ?? '';
    const end = url.indexOf('?');
    if ((end === -1 ? url : url.slice(0, end)) !== path) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...HEALTH_HEADERS, allow: 'GET, HEAD' }).end('method not allowed\n');
      return true;
    }
    const { statusCode, body } = healthResponse(currentHealth(source));
    res.writeHead(statusCode, { ...HEALTH_HEADERS, 'content-length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  };
}
