import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { parseServiceUrl } from './service-url.js';

describe('parseServiceUrl', () => {
  it.each([
    ['http://orders/v1/items', 'http', 'orders', '/v1/items'],
    ['http://orders', 'http', 'orders', '/'],
    ['http://orders?x=1', 'http', 'orders', '/?x=1'],
    ['https://billing.v2/a/b.json?q=1&r=%20', 'https', 'billing.v2', '/a/b.json?q=1&r=%20'],
    ['http://Orders/x', 'http', 'orders', '/x'],
    ['http://orders/a/../b', 'http', 'orders', '/b'],
    ['http://orders/a b', 'http', 'orders', '/a%20b'],
    ['http://orders/x#fragment', 'http', 'orders', '/x'],
    [new URL('http://orders/from-url'), 'http', 'orders', '/from-url'],
  ])('%s → %s %s %s (as new URL() reads it)', (input, scheme, service, path) => {
    expect(parseServiceUrl(input)).toEqual({ scheme, service, path });
  });

  it.each(['orders/x', 'ftp://orders/x', 'http://orders:8080/x', 'http://user:pw@orders/x', 'not a url'])('rejects %s', (input) => {
    expect(() => parseServiceUrl(input)).toThrow(InvalidArgumentError);
    expect(() => parseServiceUrl(input)).toThrow(expect.objectContaining({ field: 'url' }));
  });
});

describe('parseServiceUrl: input that is neither a string nor a URL', () => {
  // Found by the generated bad-input suite (seed 351777225): an object whose `toString` is not a
  // function made String(input) throw a raw TypeError.
  it.each([{ toString: true }, { toString: () => 'http://orders/' }, null, 42, undefined])(
    '%o → InvalidArgumentError naming url',
    (input) => {
      expect(() => parseServiceUrl(input as unknown as string)).toThrow(InvalidArgumentError);
      expect(() => parseServiceUrl(input as unknown as string)).toThrow(/url/);
    },
  );
});
