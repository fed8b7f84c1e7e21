/** A GET through node:http that keeps the body's bytes as sent (no transparent decompression). */
import { type IncomingHttpHeaders, request } from 'node:http';

/** One answer: status, headers, the body's raw bytes. */
export interface BytesAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** GETs `url` with `headers`; `signal` aborts it (the promise then rejects). */
export function getBytes(url: string, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<BytesAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
