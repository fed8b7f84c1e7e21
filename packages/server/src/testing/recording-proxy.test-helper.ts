/**
 * A recording HTTP proxy for interop tests: a third-party client talks to the proxy, the proxy
 * forwards every request unchanged (raw path, headers, body) to the real roster serve and records
 * what went over the wire both ways. Lets a test assert what a client really sends (methods,
 * Content-Type, key casing, `?token=`) without touching the client or the server.
 */
import { Agent, createServer, type IncomingHttpHeaders, request } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One exchange seen by the proxy. */
export interface RecordedExchange {
  readonly method: string;
  /** The request target exactly as the client sent it (not normalized). */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly status: number;
  readonly responseHeaders: IncomingHttpHeaders;
  readonly responseBody: string;
}

/** A running proxy. */
export interface RecordingProxy {
  readonly port: number;
  /** Exchanges in the order their answers completed. */
  readonly exchanges: RecordedExchange[];
  close(): Promise<void>;
}

/** Starts a proxy on a free loopback port that forwards to `127.0.0.1:targetPort`. */
export async function recordingProxy(targetPort: number): Promise<RecordingProxy> {
  const exchanges: RecordedExchange[] = [];
  const agent = new Agent({ keepAlive: true });
  const server = createServer({ requestTimeout: 0 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const upstream = request(
        { host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers, agent },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on('data', (c: Buffer) => parts.push(c));
          answer.on('end', () => {
            const responseBody = Buffer.concat(parts);
            exchanges.push({
              method: req.method ?? '',
              url: req.url ?? '',
              headers: req.headers,
              body: body.toString(),
              status: answer.statusCode ?? 0,
              responseHeaders: answer.headers,
              responseBody: responseBody.toString(),
            });
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            res.end(responseBody);
          });
        },
      );
      upstream.on('error', () => res.destroy());
      res.on('close', () => {
        if (!res.writableFinished) upstream.destroy();
      });
      upstream.end(body);
    });
  });
  server.timeout = 0;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    exchanges,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
