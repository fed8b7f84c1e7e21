/**
 * addGrpcHealthService and announce({ server: grpc Server }) with a real grpc-js server and a
 * client from the published grpc.health.v1 .proto (via @grpc/proto-loader): Check and Watch
 * follow the announcement's health through a drain, which stops the server and deregisters.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import { announce } from '../agent/announce.js';
import type { Announcement } from '../agent/announcement.js';
import { memoryRegistry } from '../registry/memory.js';
import { addGrpcHealthService } from './grpc-health.js';
import { type EchoInstance, echoClient, eventually, HealthClient, startEcho, who } from './test-support.js';

const registry = memoryRegistry();
const servers: EchoInstance[] = [];
const closers: (() => unknown)[] = [];

afterAll(async () => {
  for (const close of closers) await close();
  for (const s of servers) s.close();
  await registry.close();
});

type Health = grpc.Client & {
  Check(req: { service: string }, cb: (e: grpc.ServiceError | null, r: { status: string }) => void): void;
  Watch(req: { service: string }): grpc.ClientReadableStream<{ status: string }>;
};

function check(client: Health, service: string): Promise<string> {
  return new Promise((resolve, reject) => client.Check({ service }, (e, r) => (e ? reject(e) : resolve(r.status))));
}

describe('gRPC health service and announce() with a grpc-js Server', () => {
  it('Check and Watch report SERVING, then NOT_SERVING through a drain that stops the server and deregisters', async () => {
    const server = await startEcho('h1', 1);
    servers.push(server);
    const announcement = await announce({
      registry,
      service: 'healthy',
      address: '127.0.0.1',
      port: server.port,
      server: server.server,
      signals: false,
      lagWatchdog: false,
      drain: { propagationMs: 300, timeoutMs: 3000 },
    });
    // Added after bindAsync and announce(): grpc-js routes calls to services added at any time.
    addGrpcHealthService(server.server, announcement);
    closers.push(() => announcement.drain());
    const health = new HealthClient(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure()) as unknown as Health;
    closers.push(() => health.close());

    expect(await check(health, '')).toBe('SERVING');
    expect(await check(health, 'healthy')).toBe('SERVING');
    await expect(check(health, 'other')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });

    const watched: string[] = [];
    const stream = health.Watch({ service: 'healthy' });
    stream.on('data', (r: { status: string }) => watched.push(r.status));
    stream.on('error', () => {});
    expect(await eventually(() => watched.length === 1, 5000)).toBe(true);

    await announcement.setHealth('critical', 'db down');
    expect(await check(health, '')).toBe('NOT_SERVING');
    await announcement.setHealth('passing');
    expect(await check(health, '')).toBe('SERVING');

    const draining = announcement.drain();
    expect(await eventually(async () => (await check(health, '').catch(() => 'gone')) === 'NOT_SERVING', 3000)).toBe(true);
    const result = await draining;
    expect(result).toMatchObject({ marked: true, deregistered: true, forcedConnections: 0, errors: [] });
    expect(watched).toEqual(['SERVING', 'NOT_SERVING', 'SERVING', 'NOT_SERVING']);
    expect((await registry.list('healthy')).instances).toEqual([]);
    // The server stopped accepting calls.
    const direct = echoClient(`127.0.0.1:${server.port}`);
    closers.push(() => direct.close());
    await expect(who(direct, 2000)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
  });

  it('a drain lets a call in flight finish (tryShutdown), and cuts one still running at drain.timeoutMs', async () => {
    const server = await startEcho('h2', 1);
    servers.push(server);
    const announcement = await announce({
      registry,
      service: 'slow-drain',
      address: '127.0.0.1',
      port: server.port,
      server: server.server,
      signals: false,
      lagWatchdog: false,
      drain: { propagationMs: 0, timeoutMs: 1500 },
    });
    const c = echoClient(`127.0.0.1:${server.port}`);
    closers.push(() => c.close());
    await who(c);
    const finishing = who(c, 10_000, 500);
    const cut = who(c, 10_000, 8000).then(
      () => 'answered',
      (error: grpc.ServiceError) => error.code,
    );
    await eventually(() => server.arrivals.length === 3, 3000);
    const result = await announcement.drain();
    await expect(finishing).resolves.toMatchObject({ instance: 'h2' });
    expect(await cut).not.toBe('answered');
    expect(result).toMatchObject({ deregistered: true, forcedConnections: 1 });
  });

  it('announce() needs `port` with a grpc-js Server, and addGrpcHealthService checks its arguments', async () => {
    const server = new grpc.Server();
    await expect(announce({ registry, service: 'x', server, address: '127.0.0.1' })).rejects.toMatchObject({ field: 'port' });
    expect(() => addGrpcHealthService({} as grpc.Server, {} as Announcement)).toThrow(expect.objectContaining({ field: 'server' }));
    expect(() => addGrpcHealthService(server, {} as Announcement)).toThrow(expect.objectContaining({ field: 'announcement' }));
  });
});
