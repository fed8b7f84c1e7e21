/** JSON encoding of answers, as Consul writes them (`?pretty`: 4-space indent and a newline). */

/**
 * An encoded answer: one buffer, or chunks written back to back (a big answer built from cached
 * pieces is sent without copying them into one buffer first, D81).
 */
export type EncodedBody = Buffer | readonly Buffer[];

/** Bytes of an encoded answer. */
export function encodedLength(body: EncodedBody): number {
  if (Buffer.isBuffer(body)) return body.length;
  let n = 0;
  for (const chunk of body as readonly Buffer[]) n += chunk.length;
  return n;
}

/** The answer as one buffer (copies chunks). */
export function joinEncoded(body: EncodedBody): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.concat(body as readonly Buffer[]);
}

/** Encodes a body; `pretty` for `?pretty`. */
export function encodeJson(body: unknown, pretty: boolean): Buffer {
  const text = pretty ? `${JSON.stringify(body, null, 4)}\n` : JSON.stringify(body);
  return Buffer.from(text ?? 'null');
}
