/** compose(): middlewares into one, the first one outermost. */
import { InvalidArgumentError } from '../errors.js';
import type { Middleware, Transport } from './transport.js';

/**
 * Composes middlewares, the first one outermost: `compose(a, b, c)(t)` is `a(b(c(t)))`, so a
 * request passes `a`, then `b`, then `c`, then reaches `t`. `compose()` is the identity.
 * @throws InvalidArgumentError naming `middlewares[i]` that is not a function (at once), or
 *   `next` when the composed middleware is given something other than a Transport function, or
 *   `middlewares[i]` whose result is not one.
 */
export function compose(...middlewares: readonly Middleware[]): Middleware {
  middlewares.forEach((m, i) => {
    if (typeof m !== 'function') throw new InvalidArgumentError(`middlewares[${i}]`, 'must be a function (next) => transport');
  });
  return (next: Transport): Transport => {
    if (typeof next !== 'function') throw new InvalidArgumentError('next', 'must be a Transport function');
    let transport = next;
    for (let i = middlewares.length - 1; i >= 0; i--) {
      transport = middlewares[i]!(transport);
      if (typeof transport !== 'function') throw new InvalidArgumentError(`middlewares[${i}]`, 'must return a Transport function');
    }
    return transport;
  };
}
