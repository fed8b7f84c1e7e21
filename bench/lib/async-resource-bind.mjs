// A diagnostic for bench/grpc.bench.mjs (`--bind-fix`), never the measured default: Node 20's
// AsyncResource.prototype.bind wraps each bound function's `asyncResource` accessor in
// util.deprecate(), which calls Object.setPrototypeOf on a fresh closure every time. Node's http2
// client binds one callback per request (`reqAsync.bind(requestOnConnect.bind(stream, …))`), and
// V8 then keeps that closure — and through its context the request's stream and everything
// grpc-js hangs on it — alive through young-generation GCs until the next full GC (measured:
// about a quarter of what a grpc-js client allocates per call survives each scavenge). Later Node
// releases stop changing the prototype there (nodejs/node#58218, #59195). This module swaps in a
// bind with the same behaviour (the bound function runs `fn` in the resource's async scope, keeps
// `length`, and still has an `asyncResource` getter) minus that prototype change, so the bench
// can show what the runtime's per-request retention costs the fast calls' tail.
import { AsyncResource } from 'node:async_hooks';

const original = AsyncResource.prototype.bind;

/** AsyncResource#bind without the per-call deprecate()/setPrototypeOf wrapper. */
function bindWithoutPrototypeChange(fn, thisArg) {
  if (typeof fn !== 'function') return original.call(this, fn, thisArg);
  const resource = this;
  const bound =
    thisArg === undefined
      ? function (...args) {
          return resource.runInAsyncScope(fn, this, ...args);
        }
      : resource.runInAsyncScope.bind(resource, fn, thisArg);
  Object.defineProperties(bound, {
    length: { configurable: true, enumerable: false, value: fn.length, writable: false },
    asyncResource: { configurable: true, enumerable: true, get: () => resource },
  });
  return bound;
}

/** Uses Node's own AsyncResource#bind (`on` false) or the one without the prototype change. */
export function setBindFix(on) {
  AsyncResource.prototype.bind = on ? bindWithoutPrototypeChange : original;
}
