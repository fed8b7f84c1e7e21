import { describe, expect, it } from 'vitest';
import { compose } from './compose.js';
import { scriptedTransport } from './test-support.js';
import type { Middleware, TransportRequest } from './transport.js';

const tag =
  (name: string, log: string[]): Middleware =>
  (next) =>
  async (req) => {
    log.push(`${name}>`);
    const res = await next({ ...req, path: `${req.path}/${name}` });
    log.push(`<${name}`);
    return res;
  };

const request: TransportRequest = { service: 'orders', origin: 'http://orders', path: '', method: 'GET' };

describe('compose', () => {
  it('runs the first middleware outermost', async () => {
    const log: string[] = [];
    const transport = scriptedTransport(() => 200);
    await compose(tag('a', log), tag('b', log), tag('c', log))(transport)(request);
    expect(log).toEqual(['a>', 'b>', 'c>', '<c', '<b', '<a']);
    expect(transport.calls[0]!.path).toBe('/a/b/c');
  });

  it('is the identity without middlewares', async () => {
    const transport = scriptedTransport(() => 204);
    expect(compose()(transport)).toBe(transport);
  });
});
