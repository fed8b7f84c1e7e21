/**
 * fastifyHealth(): the `/health` endpoint as a Fastify route handler. roster does not depend on
 * Fastify; the handler needs only the two reply methods it calls.
 */
import { currentHealth, HEALTH_HEADERS, type HealthSourceRef, healthResponse } from './health-handler.js';

/** The part of a Fastify reply the handler uses. */
export interface HealthReply {
  code(statusCode: number): unknown;
  header(name: string, value: string): unknown;
}

/**
 * A Fastify route handler answering like `healthHandler` (200/429/503, plain text). Routes are
 * declared before the app listens, so before `announce()` returns; pass a function:
 * ```ts
 * let announcement: Announcement | undefined;
 * app.get('/health', fastifyHealth(() => announcement)); // 503 "critical: starting" until set
 * await app.listen({ port: 8080 });
 * announcement = await announce({ registry, service: 'orders', server: app.server });
 * ```
 * Fastify adds the HEAD route itself.
 */
export function fastifyHealth(source: HealthSourceRef): (request: unknown, reply: HealthReply) => Promise<string> {
  return async (_request, reply) => {
    const { statusCode, body } = healthResponse(currentHealth(source));
    reply.code(statusCode);
    for (const [name, value] of Object.entries(HEALTH_HEADERS)) reply.header(name, value);
    return body;
  };
}
