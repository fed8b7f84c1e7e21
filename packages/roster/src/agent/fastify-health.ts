/**
 * fastifyHealth(): the `/health` endpoint as a Fastify route handler. roster does not depend on
 * Fastify; the handler needs only the two reply methods it calls.
 */
import type { HealthSource } from './announcement.js';
import { HEALTH_HEADERS, healthResponse } from './health-handler.js';

/** The part of a Fastify reply the handler uses. */
export interface HealthReply {
  code(statusCode: number): unknown;
  header(name: string, value: string): unknown;
}

/**
 * A Fastify route handler answering like `healthHandler` (200/429/503, plain text):
 * `app.get('/health', fastifyHealth(announcement))` (Fastify adds the HEAD route itself).
 */
export function fastifyHealth(source: HealthSource): (request: unknown, reply: HealthReply) => Promise<string> {
  return async (_request, reply) => {
    const { statusCode, body } = healthResponse(source.health);
    reply.code(statusCode);
    for (const [name, value] of Object.entries(HEALTH_HEADERS)) reply.header(name, value);
    return body;
  };
}
