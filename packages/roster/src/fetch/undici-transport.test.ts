import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from 'undici';
import { AbortedError } from '../errors.js';
import { type LoopbackInstance, startInstance } from './test-support.js';
import type { TransportRequest } from './transport.js';
import { undiciTransport } from './undici-transport.js';

let fast: LoopbackInstance;
let slow: LoopbackInstance;
const agent = new Agent();
const send = undiciTransport({ dispatcher: agent });
const base: TransportRequest = { service: 'orders', origin: '', path: '/v1/items?x=1', method: 'GET' };

beforeAll(async () => {
  fast = await startInstance('fast');
  slow = await startInstance('slow', { delayMs: 2000 });
});
afterAll(async () => {
  await agent.close();
  await fast.close();
  await slow.close();
});

describe('undiciTransport (real loopback sockets)', () => {
  it('sends method, path, headers and body; resolves at the headers with a readable body', async () => {
    const res = await send({
      ...base,
      origin: `http://127.0.0.1:${fast.port}`,
      method: 'PUT',
      headers: { 'x-test': 'yes' },
      body: 'hello',
    });
    expect(res.status).toBe(200);
    expect(res.headers['x-instance']).toBe('fast');
    expect(await res.body.json()).toMatchObject({ id: 'fast', method: 'PUT', url: '/v1/items?x=1', bodyLength: 5 });
  });

  it('rejects with AbortedError when the caller aborts, with or without a deadline', async () => {
    for (const deadline of [undefined, performance.timeOrigin + performance.now() + 60_000]) {
      const controller = new AbortController();
      const call = send({ ...base, origin: `http://127.0.0.1:${slow.port}`, signal: controller.signal, deadline });
      setTimeout(() => controller.abort('enough'), 20);
      const error = await call.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AbortedError);
      expect(error).toMatchObject({ cause: 'enough' });
    }
  });

  it('passes connection failures through with their code', async () => {
    const dead = await startInstance('dead');
    dead.kill();
    await expect(send({ ...base, origin: `http://127.0.0.1:${dead.port}` })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
