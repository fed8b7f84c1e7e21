/** compose(): middlewares into one, the first one outermost. */
import type { Middleware, Transport } from './transport.js';

/**
 * Composes middlewares, the first one outermost: `compose(a, b, c)(t)` is `a(b(c(t)))`, so a
 * request passes `a`, then `b`, then `c`, then reaches `t`. `compose()` is the identity.
 */
export function compose(...middlewares: readonly Middleware[]): Middleware {
  return (next: Transport): Transport => {
    let transport = next;
    for (let i = middlewares.length - 1; i >= 0; i--) transport = middlewares[i]!(transport);
    return transport;
  };
}
