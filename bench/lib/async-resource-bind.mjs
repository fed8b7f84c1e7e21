// A diagnostic for bench/grpc.bench.mjs (`--bind-fix`), never the measured default. Node 20's
// AsyncResource.prototype.bind gives every bound function its own `asyncResource` accessor, whose
// getter and setter are util.deprecate() wrappers (each an Object.setPrototypeOf on a fresh
// closure). Node's http2 client binds one callback per request
// (`reqAsync.bind(requestOnConnect.bind(stream, …))`), and V8 then keeps those closures — and
// through their context the request's stream and everything grpc-js hangs on it — alive through
// young-generation GCs until the next full GC. Measured with a grpc-js client, one call at a time:
// 8.4 KB of its ~34 KB per call survive each scavenge; 6.1 KB without the prototype change but
// with a per-call accessor; 0.08 KB with neither (docs/benchmarks.md). Node stopped the prototype
// change in v24.x (nodejs/node#58218, #59195) and deprecated the property (DEP0172). This module
// swaps in a bind that behaves the same for Node's own callers (the bound function runs `fn` in
// the resource's async scope and keeps `length`) without the accessor, so the bench can show what
// the runtime's per-request retention costs the fast calls' tail.
import { AsyncResource } from 'node:async_hooks';

const original = AsyncResource.prototype.bind;

/** AsyncResource#bind without the per-call deprecated accessor. */
function bindWithoutAccessor(fn, thisArg) {
  if (typeof fn !== 'function') return original.call(this, fn, thisArg);
  return boundTo(this, fn, thisArg);
}

/** `fn` run in `resource`'s async scope, with `fn`'s `length`. */
function boundTo(resource, fn, thisArg) {
  const bound =
    thisArg === undefined
      ? function (...args) {
          return resource.runInAsyncScope(fn, this, ...args);
        }
      : resource.runInAsyncScope.bind(resource, fn, thisArg);
  Object.defineProperty(bound, 'length', { configurable: true, enumerable: false, value: fn.length, writable: false });
  return bound;
}

/** Uses Node's own AsyncResource#bind (`on` false) or the one without the per-call accessor. */
export function setBindFix(on) {
  AsyncResource.prototype.bind = on ? bindWithoutAccessor : original;
}
