import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { httpProbe } from './http-probe.js';
import { probeTimeout } from './probe.js';

/** A real loopback server with one route per behaviour; it remembers every socket it saw. */
class TestServer {
  readonly server: http.Server;
  readonly sockets = new Set<Socket>();
  readonly seen: http.IncomingHttpHeaders[] = [];
  readonly methods: string[] = [];
  other = '';

  constructor() {
    this.server = http.createServer((req, res) => this.#route(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  openSockets(): number {
    return [...this.sockets].filter((s) => !s.destroyed).length;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  #route(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.seen.push(req.headers);
    this.methods.push(req.method ?? '');
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    switch (path) {
      case '/ok':
        res.end('healthy');
        return;
      case '/busy':
        res.writeHead(429).end('slow down');
        return;
      case '/fail':
        res.writeHead(500).end('boom');
        return;
      case '/teapot':
        res.writeHead(418, 'Short And Stout').end();
        return;
      case '/hang':
        return; // never answers
      case '/hang-body':
        res.writeHead(200, { 'content-length': '100' });
        res.write('partial');
        return; // never finishes
      case '/close':
        req.socket.destroy();
        return;
      case '/partial':
        res.writeHead(200, { 'content-length': '100' });
        res.write('ten bytes!', () => req.socket.destroy());
        return;
      case '/redirect':
        res.writeHead(302, { location: '/ok' }).end();
        return;
      case '/see-other':
        res.writeHead(303, { location: '/ok' }).end();
        return;
      case '/loop':
        res.writeHead(307, { location: '/loop' }).end();
        return;
      case '/away':
        res.writeHead(302, { location: `${this.other}/ok` }).end();
        return;
      case '/no-location':
        res.writeHead(302).end();
        return;
      case '/utf8':
        res.end(`${'a'.repeat(9)}€`); // € is 3 bytes: 9 + 3 = 12
        return;
      case '/big':
        this.#stream(res, 64); // 64 × 16 KB = 1 MB
        return;
      case '/endless':
        this.#stream(res, Number.POSITIVE_INFINITY);
        return;
      default:
        res.writeHead(404).end('not found');
    }
  }

  /** Writes `chunks` chunks of 16 KB, as fast as the client reads them; stops when it hangs up. */
  #stream(res: http.ServerResponse, chunks: number): void {
    const chunk = Buffer.alloc(16 * 1024, 'x');
    let left = chunks;
    res.writeHead(200, { 'content-type': 'text/plain' });
    const pump = () => {
      while (left > 0 && !res.destroyed) {
        left--;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      if (left === 0) res.end();
    };
    pump();
  }
}

const run = (probe: ReturnType<typeof httpProbe>, signal = new AbortController().signal) => probe(signal);

describe('httpProbe on a real loopback server', () => {
  const target = new TestServer();
  const other = new TestServer();
  let base = '';

  beforeAll(async () => {
    base = await target.listen();
    target.other = await other.listen();
  });
  afterEach(async () => {
    // Every socket the probe opened is closed by the time the probe resolved (or soon after).
    await vi.waitFor(() => expect(target.openSockets()).toBe(0), { timeout: 5000 });
    await vi.waitFor(() => expect(other.openSockets()).toBe(0), { timeout: 5000 });
    target.seen.length = 0;
    target.methods.length = 0;
    other.seen.length = 0;
  });
  afterAll(async () => {
    await target.close();
    await other.close();
  });

  it.each([
    ['/ok', 'passing', '200 OK Output: healthy'],
    ['/busy', 'warning', '429 Too Many Requests Output: slow down'],
    ['/fail', 'critical', '500 Internal Server Error Output: boom'],
    ['/nowhere', 'critical', '404 Not Found Output: not found'],
    ['/teapot', 'critical', '418 Short And Stout Output: '],
  ])('%s → %s', async (path, status, tail) => {
    const url = `${base}${path}`;
    expect(await run(httpProbe({ url, timeoutMs: 10_000 }))).toEqual({ status, output: `HTTP GET ${url}: ${tail}` });
  });

  it('sends Consul’s User-Agent and Accept, the given headers, and Connection: close', async () => {
    await run(httpProbe({ url: `${base}/ok`, timeoutMs: 10_000, headers: { 'X-Token': ['a', 'b'], Accept: ['application/json'] } }));
    const headers = target.seen[0];
    expect(headers?.['user-agent']).toBe('Consul Health Check');
    expect(headers?.accept).toBe('application/json');
    expect(headers?.['x-token']).toBe('a, b');
    expect(headers?.connection).toBe('close');
  });

  it('uses the given method and names it in the output', async () => {
    const url = `${base}/ok`;
    const result = await run(httpProbe({ url, method: 'HEAD', timeoutMs: 10_000 }));
    expect(result).toEqual({ status: 'passing', output: `HTTP HEAD ${url}: 200 OK Output: ` });
    expect(target.methods).toEqual(['HEAD']);
  });

  it('follows redirects and reports the original URL', async () => {
    const url = `${base}/redirect`;
    expect(await run(httpProbe({ url, timeoutMs: 10_000 }))).toEqual({
      status: 'passing',
      output: `HTTP GET ${url}: 200 OK Output: healthy`,
    });
  });

  it('continues a POST as GET after 303', async () => {
    await run(httpProbe({ url: `${base}/see-other`, method: 'POST', timeoutMs: 10_000 }));
    expect(target.methods).toEqual(['POST', 'GET']);
  });

  it('drops credentials when a redirect changes the host', async () => {
    const url = `${base}/away`;
    const result = await run(httpProbe({ url, timeoutMs: 10_000, headers: { Authorization: ['Bearer s3cret'], 'X-Keep': ['1'] } }));
    expect(result.status).toBe('passing');
    expect(target.seen[0]?.authorization).toBe('Bearer s3cret');
    expect(other.seen[0]?.authorization).toBeUndefined();
    expect(other.seen[0]?.['x-keep']).toBe('1');
  });

  it('stops after the redirect limit', async () => {
    const url = `${base}/loop`;
    expect(await run(httpProbe({ url, timeoutMs: 10_000, maxRedirects: 3 }))).toEqual({
      status: 'critical',
      output: `Get "${url}": stopped after 3 redirects`,
    });
    expect(target.seen).toHaveLength(4);
  });

  it('takes a redirect without Location as the answer', async () => {
    const url = `${base}/no-location`;
    expect(await run(httpProbe({ url, timeoutMs: 10_000 }))).toEqual({ status: 'critical', output: `HTTP GET ${url}: 302 Found Output: ` });
  });

  it('reads at most the cap of a 1 MB body and closes the connection', async () => {
    const url = `${base}/big`;
    const result = await run(httpProbe({ url, timeoutMs: 10_000 }));
    expect(result.status).toBe('passing');
    expect(result.output).toBe(`HTTP GET ${url}: 200 OK Output: ${'x'.repeat(4096)}`);
  });

  it('stops reading an endless body at the cap', async () => {
    // Would never resolve (or time out) if the probe read the body to its end.
    const url = `${base}/endless`;
    const result = await run(httpProbe({ url, timeoutMs: 20_000, outputMaxBytes: 100 }));
    expect(result).toEqual({ status: 'passing', output: `HTTP GET ${url}: 200 OK Output: ${'x'.repeat(100)}` });
  });

  it('cuts the output on a character boundary', async () => {
    const url = `${base}/utf8`;
    const result = await run(httpProbe({ url, timeoutMs: 10_000, outputMaxBytes: 10 }));
    expect(result.output).toBe(`HTTP GET ${url}: 200 OK Output: ${'a'.repeat(9)}`);
    const full = await run(httpProbe({ url, timeoutMs: 10_000, outputMaxBytes: 12 }));
    expect(full.output).toBe(`HTTP GET ${url}: 200 OK Output: ${'a'.repeat(9)}€`);
  });

  it('times out a server that never answers', async () => {
    const url = `${base}/hang`;
    expect(await run(httpProbe({ url, timeoutMs: 200 }))).toEqual({ status: 'critical', output: `Get "${url}": timed out after 200ms` });
  });

  it('times out a body that never ends, critical despite 200', async () => {
    const url = `${base}/hang-body`;
    expect(await run(httpProbe({ url, timeoutMs: 300 }))).toEqual({
      status: 'critical',
      output: `Get "${url}": reading the body of "200 OK": timed out after 300ms`,
    });
  });

  it('reports a connection closed before the answer', async () => {
    const url = `${base}/close`;
    expect(await run(httpProbe({ url, timeoutMs: 10_000 }))).toEqual({ status: 'critical', output: `Get "${url}": socket hang up` });
  });

  it('reports a connection closed in the middle of the body', async () => {
    const result = await run(httpProbe({ url: `${base}/partial`, timeoutMs: 10_000 }));
    expect(result.status).toBe('critical');
    expect(result.output).toMatch(/reading the body of "200 OK": /);
  });

  it('stops when the caller aborts, with the abort reason', async () => {
    const controller = new AbortController();
    const pending = httpProbe({ url: `${base}/hang`, timeoutMs: 10_000 })(controller.signal);
    await vi.waitFor(() => expect(target.seen).toHaveLength(1));
    controller.abort(probeTimeout(1500));
    expect(await pending).toEqual({ status: 'critical', output: `Get "${base}/hang": timed out after 1.5s` });
  });

  it('does not connect when the signal is already aborted', async () => {
    const result = await httpProbe({ url: `${base}/ok`, timeoutMs: 10_000 })(AbortSignal.abort());
    expect(result).toEqual({ status: 'critical', output: `Get "${base}/ok": aborted` });
    expect(target.seen).toHaveLength(0);
  });

  it('reports connection refused', async () => {
    const gone = new TestServer();
    const url = `${await gone.listen()}/ok`;
    await gone.close();
    const result = await run(httpProbe({ url, timeoutMs: 10_000 }));
    expect(result.status).toBe('critical');
    expect(result.output).toMatch(new RegExp(`^Get "${url}": connect ECONNREFUSED 127\\.0\\.0\\.1:\\d+$`));
  });
});

describe('httpProbe options', () => {
  it.each([
    [{ url: 'not a url', timeoutMs: 1 }, 'url'],
    [{ url: 'ftp://host/', timeoutMs: 1 }, 'url'],
    [{ url: 'http://host/', timeoutMs: 0 }, 'timeoutMs'],
    [{ url: 'http://host/', timeoutMs: 1, method: 'GE T' }, 'method'],
    [{ url: 'http://host/', timeoutMs: 1, outputMaxBytes: -1 }, 'outputMaxBytes'],
    [{ url: 'http://host/', timeoutMs: 1, maxRedirects: 1.5 }, 'maxRedirects'],
    [{ url: 'http://host/', timeoutMs: 1, headers: { 'bad name': ['x'] } }, 'headers.bad name'],
  ])('rejects %o naming %s', (spec, field) => {
    expect(() => httpProbe(spec)).toThrow(expect.objectContaining({ code: 'ROSTER_ERR_INVALID_ARGUMENT', field }));
  });
});
