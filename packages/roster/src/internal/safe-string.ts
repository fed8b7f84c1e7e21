/**
 * `String(value)` that never throws. `String()` throws a TypeError for an object whose
 * `toString` is not a function (or throws) and for some exotic objects; such a value — a caller's
 * bad argument, a thrown non-Error, a probe's odd result — becomes `Object.prototype.toString`'s
 * `[object Object]` instead, so reporting bad input can never itself fail.
 */
export function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    try {
      return Object.prototype.toString.call(value);
    } catch {
      return '[unprintable value]';
    }
  }
}
