/** JSON encoding of answers, as Consul writes them (`?pretty`: 4-space indent and a newline). */

/** Encodes a body; `pretty` for `?pretty`. */
export function encodeJson(body: unknown, pretty: boolean): Buffer {
  const text = pretty ? `${JSON.stringify(body, null, 4)}\n` : JSON.stringify(body);
  return Buffer.from(text ?? 'null');
}
